/**
 * For every provider, a delivery naming another registry (B) than its source is configured with
 * (A): used by the parser tests and by the webhook app's test.
 */
import type { Provider } from '../../../shared/webhooks/push-event.ts';
import type { SampleFile } from './samples.ts';

// Issue 8: with a source configured as registry A, payloads naming registry B created tasks for B.
export const OTHER = 'other.example';
export const GAR_OTHER = 'europe-docker.pkg.dev';

export interface OtherRegistryCase {
  file: SampleFile;
  /** The source's configured registry (A). */
  configured: string;
  /** Makes the payload name another registry (B), as far as the provider's payload can. */
  nameOther: (body: any) => void;
  /** The payload names its registry reliably: a different one is ignored as `other-registry`. */
  reliable?: { own: string; nameOwn: (body: any) => void };
  headers?: Record<string, string>;
  /** The registry B the payload names (or the provider's default when none is configured). */
  other: string;
}

export const OTHER_REGISTRY_CASES: Record<Provider, OtherRegistryCase> = {
  distribution: {
    other: OTHER,
    file: 'distribution-push-manifest.json',
    configured: 'registry.a.example',
    nameOther: (b) => {
      for (const e of b.events) {
        e.target.url = `https://${OTHER}/v2/${e.target.repository}/manifests/${e.target.digest}`;
        e.request = { ...e.request, host: OTHER };
      }
    },
  },
  harbor: {
    other: OTHER,
    file: 'harbor-push_artifact-default.json',
    configured: 'harbor.a.example',
    nameOther: (b) => { b.event_data.resources[0].resource_url = `${OTHER}/test-webhook/debian:latest`; },
  },
  // Docker Hub payloads name no registry: nothing in them can point elsewhere.
  dockerhub: { other: 'docker.io', file: 'dockerhub-push.json', configured: 'hub.a.example', nameOther: () => {} },
  acr: {
    other: 'registry.cn-beijing.aliyuncs.com',
    file: 'aliyun-acr-push.json',
    configured: 'registry-vpc.cn-hangzhou.aliyuncs.com',
    nameOther: (b) => { b.repository.region = 'cn-beijing'; },
  },
  quay: {
    other: OTHER,
    file: 'quay-repo_push.json',
    configured: 'quay.a.example',
    nameOther: (b) => { b.docker_url = `${OTHER}/mynamespace/repository`; },
    reliable: { own: 'quay.a.example', nameOwn: (b) => { b.docker_url = 'quay.a.example/mynamespace/repository'; } },
  },
  github: {
    other: 'ghcr.io',
    file: 'github-package-published.json',
    configured: 'containers.ghes.a.example',
    nameOther: (b) => { b.package.registry = { ...b.package.registry, url: `https://${OTHER}/owner` }; },
    headers: { 'x-github-event': 'package' },
  },
  gar: {
    other: GAR_OTHER,
    file: 'gar-insert-message.json',
    configured: 'europe-west4-docker.pkg.dev',
    nameOther: (b) => {
      b.tag = b.tag.replace('europe-west4-docker.pkg.dev', GAR_OTHER);
      b.digest = b.digest.replace('europe-west4-docker.pkg.dev', GAR_OTHER);
    },
    reliable: { own: 'europe-west4-docker.pkg.dev', nameOwn: () => {} },
  },
  ecr: {
    other: '210987654321.dkr.ecr.eu-central-1.amazonaws.com',
    file: 'ecr-image-action-push.json',
    configured: '111122223333.dkr.ecr.eu-central-1.amazonaws.com',
    nameOther: () => {}, // the fixture's account is 210987654321
    reliable: { own: '210987654321.dkr.ecr.eu-central-1.amazonaws.com', nameOwn: () => {} },
  },
  azure: {
    other: OTHER,
    file: 'azure-acr-push.json',
    configured: 'a.azurecr.io',
    nameOther: (b) => { b.request.host = `${OTHER}`; },
    reliable: { own: 'a.azurecr.io', nameOwn: (b) => { b.request.host = 'A.azurecr.io'; } },
  },
  jfrog: {
    other: OTHER,
    file: 'jfrog-docker-pushed.json',
    configured: 'docker.a.example',
    nameOther: (b) => { b.jpd_origin = `https://${OTHER}`; },
  },
};
