import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

describe('Harbor webhooks', () => {
  test('a Default-format PUSH_ARTIFACT by tag becomes a push event, registry from resource_url', () => {
    const parsed = parseDelivery('harbor', sample('harbor-push_artifact-default.json'), context());

    assert.deepEqual(parsed, {
      events: [
        {
          provider: 'harbor',
          registry: 'hub.harbor.com',
          repository: 'test-webhook/debian',
          tag: 'latest',
          digest: 'sha256:8a9e9863dbb6e10edb5adfe917c00da84e1700fa76e7ed02476aa6e6fb8ee0d8',
          occurredAt: '2020-04-15T03:45:08.000Z',
        },
      ],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('a push by digest (tag equal to the digest) is ignored as untagged', () => {
    assert.deepEqual(parseDelivery('harbor', sample('harbor-push_artifact-default-untagged.json'), context()), {
      events: [],
      ignored: 1,
      ignoredReasons: { untagged: 1 },
    });
  });

  test('deletes, in both formats, yield no event and are counted as delete', () => {
    for (const file of ['harbor-delete_artifact-default.json', 'harbor-delete_artifact-cloudevents.json'] as const) {
      assert.deepEqual(parseDelivery('harbor', sample(file), context()), { events: [], ignored: 1, ignoredReasons: { delete: 1 } });
    }
  });

  test('a CloudEvents push carries the event id and time; the configured registry replaces the docs\' localhost', () => {
    const body = variant('harbor-delete_artifact-cloudevents.json', (b) => {
      b.type = 'harbor.artifact.pushed';
    });

    const unconfigured = parseDelivery('harbor', body, context());
    const configured = parseDelivery('harbor', body, context({ registry: 'harbor.example.com' }));

    assert.deepEqual(configured.events, [
      {
        provider: 'harbor',
        registry: 'harbor.example.com',
        repository: 'harbor/alpine',
        tag: '3.8',
        digest: 'sha256:2bb501e6173d9d006e56de5bce2720eb06396803300fe1687b58a7ff32bf4c14',
        eventId: '343f1623-7cba-487c-88f1-c5ebf55e93aa',
        occurredAt: '2023-04-03T06:16:38.000Z',
      },
    ]);
    assert.equal(unconfigured.events[0]?.registry, 'localhost');
  });

  test('scan and quota events are counted without reading their data', () => {
    const body = Buffer.from(JSON.stringify({ type: 'SCANNING_COMPLETED', occur_at: 1680501893, operator: 'auto', event_data: { scan_overview: {} } }));

    assert.deepEqual(parseDelivery('harbor', body, context()), { events: [], ignored: 1, ignoredReasons: { 'not-a-push': 1 } });
  });

  test('a push without a repository is a malformed payload naming the field', () => {
    const body = variant('harbor-push_artifact-default.json', (b) => {
      delete b.event_data.repository;
    });

    assert.throws(() => parseDelivery('harbor', body, context()), {
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: /harbor payload event_data\.repository: /,
    });
  });
});
