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
          registry: 'harbor.tidewater.test',
          repository: 'platform/gateway',
          tag: '1.19.3',
          digest: 'sha256:3e7b4a27ab9a5dd607c58ee3d639a6744a7b5d5619852a168503a8c3dd3f7248',
          occurredAt: '2025-06-10T07:45:23.000Z',
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

  test('deletes, in both formats, yield no push, are counted as delete and kept as tag deletions', () => {
    for (const file of ['harbor-delete_artifact-default.json', 'harbor-delete_artifact-cloudevents.json'] as const) {
      const parsed = parseDelivery('harbor', sample(file), context({ registry: 'harbor.example.com' }));
      assert.deepEqual({ ...parsed, deletes: parsed.deletes?.map((d) => `${d.registry}/${d.repository}:${d.tag}@${d.digest}`) }, {
        events: [], ignored: 1, ignoredReasons: { delete: 1 },
        deletes: ['harbor.example.com/platform/gateway:1.18.0@sha256:e6c72296da31007895e3947b674bafbe76f4429642ea2c6878ab6db57ea820c5'],
      });
    }
  });

  test('a CloudEvents push carries the event id and time; the configured registry replaces resource_url\'s internal host', () => {
    const body = variant('harbor-delete_artifact-cloudevents.json', (b) => {
      b.type = 'harbor.artifact.pushed';
    });

    const unconfigured = parseDelivery('harbor', body, context());
    const configured = parseDelivery('harbor', body, context({ registry: 'harbor.example.com' }));

    assert.deepEqual(configured.events, [
      {
        provider: 'harbor',
        registry: 'harbor.example.com',
        repository: 'platform/gateway',
        tag: '1.18.0',
        digest: 'sha256:e6c72296da31007895e3947b674bafbe76f4429642ea2c6878ab6db57ea820c5',
        eventId: '00de45bc-8d71-4632-96a8-f132d7a809f6',
        occurredAt: '2025-07-07T10:00:07.000Z',
      },
    ]);
    assert.equal(unconfigured.events[0]?.registry, 'harbor-core:8080');
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
