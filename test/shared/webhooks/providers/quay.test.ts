import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

describe('Quay repo_push notifications', () => {
  test('a push becomes one tag-only event per updated tag, registry from docker_url', () => {
    assert.deepEqual(parseDelivery('quay', sample('quay-repo_push.json'), context()), {
      events: [{ provider: 'quay', registry: 'quay.io', repository: 'tidewater/metrics-agent', tag: '0.18.2' }],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('the legacy shape (updated_tags as tag → image id) reads its tags', () => {
    assert.deepEqual(parseDelivery('quay', sample('quay-repo_push-legacy.json'), context()).events, [
      { provider: 'quay', registry: 'quay.io', repository: 'tidewater/metrics-agent', tag: '0.17.0' },
    ]);
  });

  test('a v1 push of several tags on a self-hosted Quay gives one event per tag', () => {
    const body = variant('quay-repo_push.json', (b) => {
      b.docker_url = 'quay.corp.example:8443/tidewater/metrics-agent';
      b.updated_tags = ['latest', '1.0'];
    });

    const parsed = parseDelivery('quay', body, context());

    assert.deepEqual(
      parsed.events.map((e) => `${e.registry}/${e.repository}:${e.tag}`),
      ['quay.corp.example:8443/tidewater/metrics-agent:latest', 'quay.corp.example:8443/tidewater/metrics-agent:1.0'],
    );
  });

  test('a notification of another kind (no updated_tags) is counted as not-a-push', () => {
    const body = variant('quay-repo_push.json', (b) => {
      delete b.updated_tags;
      b.build_id = '296ec063-5f86-4706-a469-f0a400bf9df2';
    });

    assert.deepEqual(parseDelivery('quay', body, context()), { events: [], ignored: 1, ignoredReasons: { 'not-a-push': 1 } });
  });
});
