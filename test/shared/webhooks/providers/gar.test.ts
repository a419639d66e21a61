import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

const PUSH = {
  provider: 'gar',
  registry: 'europe-west4-docker.pkg.dev',
  repository: 'tidewater-prod/images/scheduler',
  tag: '3.2.0',
  digest: 'sha256:41e2ace173df6025b84f5d47e4be066e028b578d2cfe39b89298d7299074a350',
};

function pubsub(message: unknown): Buffer {
  return variant('gar-insert-pubsub-push.json', (b) => {
    b.message.data = Buffer.from(JSON.stringify(message)).toString('base64');
  });
}

describe('Artifact Registry Pub/Sub notifications', () => {
  test('a push envelope decodes message.data; id and time come from the message', () => {
    assert.deepEqual(parseDelivery('gar', sample('gar-insert-pubsub-push.json'), context()), {
      events: [{ ...PUSH, eventId: '15207734981126590', occurredAt: '2025-06-20T06:30:18.412Z' }],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('the envelope carries exactly the INSERT message sample', () => {
    const envelope = JSON.parse(sample('gar-insert-pubsub-push.json').toString('utf8')) as { message: { data: string } };

    assert.deepEqual(JSON.parse(Buffer.from(envelope.message.data, 'base64').toString('utf8')), JSON.parse(sample('gar-insert-message.json').toString('utf8')));
  });

  test('an unwrapped message reads its id and time from the x-goog-pubsub headers', () => {
    const headers = { 'x-goog-pubsub-message-id': '42', 'x-goog-pubsub-publish-time': '2024-05-14T09:21:09.874Z' };

    assert.deepEqual(parseDelivery('gar', sample('gar-insert-message.json'), context({ headers })).events, [
      { ...PUSH, eventId: '42', occurredAt: '2024-05-14T09:21:09.874Z' },
    ]);
    assert.deepEqual(parseDelivery('gar', sample('gar-insert-message.json'), context()).events, [PUSH]);
  });

  test('a DELETE, unwrapped or in an envelope, is counted as delete and kept as a tag deletion', () => {
    const deleted = JSON.parse(sample('gar-delete-message.json').toString('utf8')) as unknown;

    for (const body of [sample('gar-delete-message.json'), pubsub(deleted)]) {
      const parsed = parseDelivery('gar', body, context());
      assert.deepEqual({ ...parsed, deletes: parsed.deletes?.map((d) => `${d.registry}/${d.repository}:${d.tag}`) }, { events: [], ignored: 1, ignoredReasons: { delete: 1 }, deletes: ['europe-west4-docker.pkg.dev/tidewater-prod/images/scheduler:3.1.0'] });
    }
  });

  test('a digest-only INSERT (a multi-arch child) is ignored as untagged', () => {
    const body = pubsub({ action: 'INSERT', digest: `europe-west4-docker.pkg.dev/tidewater-prod/images/scheduler@${PUSH.digest}` });

    assert.deepEqual(parseDelivery('gar', body, context()).ignoredReasons, { untagged: 1 });
  });

  test('a gcr.io reference splits into host and project path', () => {
    const body = pubsub({ action: 'INSERT', digest: `gcr.io/my-project/app@${PUSH.digest}`, tag: 'gcr.io/my-project/app:v2' });

    assert.deepEqual(parseDelivery('gar', body, context()).events, [{ provider: 'gar', registry: 'gcr.io', repository: 'my-project/app', tag: 'v2', digest: PUSH.digest, eventId: '15207734981126590', occurredAt: '2025-06-20T06:30:18.412Z' }]);
  });

  test('message.data that is not base64 JSON is a malformed payload', () => {
    const body = variant('gar-insert-pubsub-push.json', (b) => {
      b.message.data = 'bm90IGpzb24=';
    });

    assert.throws(() => parseDelivery('gar', body, context()), { code: 'WEBHOOK_PAYLOAD_INVALID', message: /message\.data is not base64-encoded JSON/ });
  });
});
