import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../shared/webhooks/parse.ts';
import type { Provider } from '../../../shared/webhooks/push-event.ts';
import { sample, type SampleFile } from './samples.ts';

const parse = (provider: Provider, name: SampleFile, registry?: string) =>
  parseDelivery(provider, sample(name), { headers: {}, query: {}, receivedAt: new Date('2026-12-01T00:00:00Z'), ...(registry ? { registry } : {}) });
const refs = (provider: Provider, name: SampleFile, registry?: string) => (parse(provider, name, registry).deletes ?? []).map((d) => `${d.registry}/${d.repository}:${d.tag}`);

describe('tag deletions read from every provider that reports them', () => {
  test('a tag delete becomes a deletion; the delivery still counts it as ignored for pushes', () => {
    assert.deepEqual(refs('distribution', 'distribution-delete-tag.json', 'registry.tidewater.test'), ['registry.tidewater.test/payments/ledger:2.6.0']);
    assert.deepEqual(parse('distribution', 'distribution-delete-tag.json', 'registry.tidewater.test').ignoredReasons, { delete: 1 });
    assert.deepEqual(refs('azure', 'azure-acr-delete-tag.json'), ['tidewaterprod.azurecr.io/web/storefront:2026.11.2']);
    assert.deepEqual(refs('gar', 'gar-delete-message.json'), ['europe-west4-docker.pkg.dev/tidewater-prod/images/scheduler:3.1.0']);
    assert.deepEqual(refs('ecr', 'ecr-image-action-delete.json'), ['210987654321.dkr.ecr.eu-central-1.amazonaws.com/tidewater/worker:release-40']);
    assert.deepEqual(refs('harbor', 'harbor-delete_artifact-default.json', 'harbor.tidewater.test'), ['harbor.tidewater.test/platform/gateway:1.18.0']);
  });

  test('a delete by digest alone names no tag: no deletion (the manifest\'s tags are unknown), counted as delete', () => {
    assert.equal(parse('distribution', 'distribution-delete-manifest.json', 'registry.tidewater.test').deletes, undefined);
    assert.equal(parse('azure', 'azure-acr-delete.json').deletes, undefined);
    assert.deepEqual(parse('azure', 'azure-acr-delete.json').ignoredReasons, { delete: 1 });
  });

  test('a configured ECR source does not take deletions of another account', () => {
    assert.deepEqual(refs('ecr', 'ecr-image-action-delete.json', '111111111111.dkr.ecr.eu-central-1.amazonaws.com'), []);
  });
});
