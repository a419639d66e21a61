/**
 * Webhook payloads in each provider's documented shape, written for these tests with our own
 * values (test/fixtures/webhooks, see its README). Every file there is named here, and
 * samples.test.ts checks the list.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { DeliveryContext } from '../../../shared/webhooks/delivery.ts';

const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const SAMPLES_DIR = path.join(repoRoot, 'test', 'fixtures', 'webhooks');

export const SAMPLE_FILES = [
  'aliyun-acr-push.json',
  'azure-acr-chart_push.json',
  'azure-acr-delete-tag.json',
  'azure-acr-delete.json',
  'azure-acr-push.json',
  'distribution-delete-manifest.json',
  'distribution-delete-tag.json',
  'distribution-mount-blob.json',
  'distribution-pull-manifest.json',
  'distribution-push-blob.json',
  'distribution-push-manifest.json',
  'dockerhub-push.json',
  'ecr-image-action-delete.json',
  'ecr-image-action-push.json',
  'gar-delete-message.json',
  'gar-insert-message.json',
  'gar-insert-pubsub-push.json',
  'github-package-published.json',
  'github-registry_package-published.json',
  'harbor-delete_artifact-cloudevents.json',
  'harbor-delete_artifact-default.json',
  'harbor-push_artifact-default-untagged.json',
  'harbor-push_artifact-default.json',
  'jfrog-docker-pushed.json',
  'nexus-repository-asset-created.json',
  'quay-repo_push-legacy.json',
  'quay-repo_push.json',
] as const;
export type SampleFile = (typeof SAMPLE_FILES)[number];

/** The sample's bytes, exactly as the provider sent them. */
export function sample(name: SampleFile): Buffer {
  return readFileSync(path.join(SAMPLES_DIR, name));
}

/** A sample changed by `edit`, for the cases the folder has no file for (edited freely: any). */
export function variant(name: SampleFile, edit: (body: any) => void): Buffer {
  const body: unknown = JSON.parse(sample(name).toString('utf8'));
  edit(body);
  return Buffer.from(JSON.stringify(body));
}

export const RECEIVED_AT = new Date('2025-03-01T12:00:00Z');

export function context(overrides: Partial<DeliveryContext> = {}): DeliveryContext {
  return { headers: {}, query: {}, receivedAt: RECEIVED_AT, ...overrides };
}
