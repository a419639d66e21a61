import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

describe('Docker Hub webhooks', () => {
  test('a push becomes a tag-only event on docker.io (the digest is resolved later)', () => {
    assert.deepEqual(parseDelivery('dockerhub', sample('dockerhub-push.json'), context()), {
      events: [{ provider: 'dockerhub', registry: 'docker.io', repository: 'tidewater/edge-proxy', tag: '2025.07', occurredAt: '2025-07-03T10:57:12.000Z' }],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('older payloads with float pushed_at read the same time', () => {
    const body = variant('dockerhub-push.json', (b) => {
      b.push_data.pushed_at = 1.751540232e9;
    });

    assert.equal(parseDelivery('dockerhub', body, context()).events[0]?.occurredAt, '2025-07-03T10:57:12.000Z');
  });

  test('an official image name gains its library/ namespace', () => {
    const body = variant('dockerhub-push.json', (b) => {
      b.repository.repo_name = 'alpine';
    });

    assert.equal(parseDelivery('dockerhub', body, context()).events[0]?.repository, 'library/alpine');
  });
});
