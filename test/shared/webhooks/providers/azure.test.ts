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
          registry: 'tidewaterprod.azurecr.io',
          repository: 'web/storefront',
          tag: '2025.06.1',
          digest: 'sha256:9cd58809b639d67836c8928feb5e75548b6eed31a2e7d0d246b76932998c38c9',
          mediaType: 'application/vnd.oci.image.index.v1+json',
          eventId: '2be6ae9c-ab5d-412c-a8a0-79cea72f5241',
          occurredAt: '2025-06-12T14:03:27.551Z',
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
