import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample } from '../samples.ts';

describe('Azure Container Registry webhooks', () => {
  test('a push becomes an event on the login server from request.host', () => {
    assert.deepEqual(parseDelivery('azure', sample('azure-acr-push.json'), context()), {
      events: [
        {
          provider: 'azure',
          registry: 'myregistry.azurecr.io',
          repository: 'hello-world',
          tag: 'v1',
          // The docs redact digests with xxxx; passed on as given.
          digest: 'sha256:xxxxd5c8786bb9e621a45ece0dbxxxx1cdc624ad20da9fe62e9d25490f33xxxx',
          mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
          eventId: 'cb8c3971-9adc-488b-xxxx-43cbb4974ff5',
          occurredAt: '2023-11-17T16:52:01.343Z',
        },
      ],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('a delete is counted as delete, a Helm chart push as chart', () => {
    assert.deepEqual(parseDelivery('azure', sample('azure-acr-delete.json'), context()), { events: [], ignored: 1, ignoredReasons: { delete: 1 } });
    assert.deepEqual(parseDelivery('azure', sample('azure-acr-chart_push.json'), context()), { events: [], ignored: 1, ignoredReasons: { chart: 1 } });
  });

  test('a portal ping is counted as ping, and an event without a target is malformed', () => {
    const ping = Buffer.from(JSON.stringify({ id: 'b7c1e0d2', timestamp: '2023-11-17T16:50:00Z', action: 'ping' }));
    const noTarget = Buffer.from(JSON.stringify({ id: 'b7c1e0d2', timestamp: '2023-11-17T16:50:00Z', action: 'push' }));

    assert.deepEqual(parseDelivery('azure', ping, context()), { events: [], ignored: 1, ignoredReasons: { ping: 1 } });
    assert.throws(() => parseDelivery('azure', noTarget, context()), { code: 'WEBHOOK_PAYLOAD_INVALID', message: /azure payload target: missing target/ });
  });

  test('request.host names the registry exactly: a source configured for another registry ignores the push', () => {
    const parsed = parseDelivery('azure', sample('azure-acr-push.json'), context({ registry: 'other.azurecr.io' }));

    assert.deepEqual(parsed.events, []);
    assert.deepEqual(parsed.ignoredReasons, { 'other-registry': 1 });
  });
});
