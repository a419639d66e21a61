import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../shared/webhooks/parse.ts';
import type { Provider } from '../../../shared/webhooks/push-event.ts';
import { context, type SampleFile, variant } from './samples.ts';

// Issue 8: with a source configured as registry A, payloads naming registry B created tasks for B.
const OTHER = 'other.example';
const GAR_OTHER = 'europe-docker.pkg.dev';

interface Case {
  file: SampleFile;
  /** The source's configured registry (A). */
  configured: string;
  /** Makes the payload name another registry (B), as far as the provider's payload can. */
  nameOther: (body: any) => void;
  /** The payload names its registry reliably: a different one is ignored as `other-registry`. */
  reliable?: { own: string; nameOwn: (body: any) => void };
  headers?: Record<string, string>;
}

const CASES: Record<Provider, Case> = {
  distribution: {
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
    file: 'harbor-push_artifact-default.json',
    configured: 'harbor.a.example',
    nameOther: (b) => { b.event_data.resources[0].resource_url = `${OTHER}/test-webhook/debian:latest`; },
  },
  // Docker Hub payloads name no registry: nothing in them can point elsewhere.
  dockerhub: { file: 'dockerhub-push.json', configured: 'hub.a.example', nameOther: () => {} },
  acr: {
    file: 'aliyun-acr-push.json',
    configured: 'registry-vpc.cn-hangzhou.aliyuncs.com',
    nameOther: (b) => { b.repository.region = 'cn-beijing'; },
  },
  quay: {
    file: 'quay-repo_push.json',
    configured: 'quay.a.example',
    nameOther: (b) => { b.docker_url = `${OTHER}/mynamespace/repository`; },
    reliable: { own: 'quay.a.example', nameOwn: (b) => { b.docker_url = 'quay.a.example/mynamespace/repository'; } },
  },
  github: {
    file: 'github-package-published.json',
    configured: 'containers.ghes.a.example',
    nameOther: (b) => { b.package.registry = { ...b.package.registry, url: `https://${OTHER}/owner` }; },
    headers: { 'x-github-event': 'package' },
  },
  gar: {
    file: 'gar-insert-message.json',
    configured: 'us-east1-docker.pkg.dev',
    nameOther: (b) => {
      b.tag = b.tag.replace('us-east1-docker.pkg.dev', GAR_OTHER);
      b.digest = b.digest.replace('us-east1-docker.pkg.dev', GAR_OTHER);
    },
    reliable: { own: 'us-east1-docker.pkg.dev', nameOwn: () => {} },
  },
  ecr: {
    file: 'ecr-image-action-push.json',
    configured: '111122223333.dkr.ecr.us-west-2.amazonaws.com',
    nameOther: () => {}, // the sample's account is 123456789012
    reliable: { own: '123456789012.dkr.ecr.us-west-2.amazonaws.com', nameOwn: () => {} },
  },
  azure: {
    file: 'azure-acr-push.json',
    configured: 'a.azurecr.io',
    nameOther: (b) => { b.request.host = `${OTHER}`; },
    reliable: { own: 'a.azurecr.io', nameOwn: (b) => { b.request.host = 'A.azurecr.io'; } },
  },
  jfrog: {
    file: 'jfrog-docker-pushed.json',
    configured: 'docker.a.example',
    nameOther: (b) => { b.jpd_origin = `https://${OTHER}`; },
  },
};

describe('a webhook source configured with a registry speaks for that registry only', () => {
  for (const [provider, c] of Object.entries(CASES) as [Provider, Case][]) {
    test(`${provider}: a payload naming another registry yields no push for it`, () => {
      const parsed = parseDelivery(provider, variant(c.file, c.nameOther), context({ registry: c.configured, headers: c.headers ?? {} }));
      const registries = parsed.events.map((e) => e.registry);
      assert.ok(!registries.some((r) => r !== c.configured), `${provider}: ${registries.join(', ')}`);
      if (c.reliable) {
        assert.deepEqual(parsed.events, []);
        assert.equal(parsed.ignoredReasons['other-registry'], 1);
        // The same delivery from the configured registry itself is a push, so the refusal above is not vacuous.
        const own = parseDelivery(provider, variant(c.file, c.reliable.nameOwn), context({ registry: c.reliable.own, headers: c.headers ?? {} }));
        assert.equal(own.events.length, 1, JSON.stringify(own));
        assert.equal(own.events[0]!.registry, c.reliable.own.toLowerCase());
      } else {
        // Those payloads' hosts are unreliable (Host headers, a misconfigured ext_endpoint…): A is kept.
        assert.ok(parsed.events.length >= 1, JSON.stringify(parsed));
      }
    });
  }

  test('ecr: a source configured with a non-ECR host (a DNS alias) cannot compare, and its host wins', () => {
    const parsed = parseDelivery('ecr', variant('ecr-image-action-push.json', () => {}), context({ registry: 'ecr-alias.a.example' }));
    assert.deepEqual(parsed.events.map((e) => e.registry), ['ecr-alias.a.example']);
  });

  test('ecr: the same account in another region is another registry', () => {
    const parsed = parseDelivery('ecr', variant('ecr-image-action-push.json', () => {}), context({ registry: '123456789012.dkr.ecr.eu-west-1.amazonaws.com' }));
    assert.deepEqual(parsed.events, []);
    assert.equal(parsed.ignoredReasons['other-registry'], 1);
  });
});
