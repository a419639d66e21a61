import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

const PUSH = {
  provider: 'distribution',
  registry: 'registry.tidewater.test',
  repository: 'payments/ledger',
  tag: '2.7.0',
  digest: 'sha256:0f1ac9ed34aa830d58d40978723df228626f169bba4add69b9f22f80ea5c0f3d',
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  eventId: '4c2e59b3-806d-44f1-b533-f969b9f25d4f',
  occurredAt: '2025-06-03T08:14:52.126Z',
};

describe('distribution notifications', () => {
  test('a manifest pushed by tag becomes one push event, registry from the absolute target.url', () => {
    const parsed = parseDelivery('distribution', sample('distribution-push-manifest.json'), context());

    assert.deepEqual(parsed, { events: [PUSH], ignored: 0, ignoredReasons: {} });
  });

  for (const [file, reason] of [
    ['distribution-push-blob.json', 'blob'],
    ['distribution-mount-blob.json', 'mount'],
    ['distribution-delete-manifest.json', 'delete'],
    ['distribution-pull-manifest.json', 'pull'],
  ] as const) {
    test(`${file} yields no event and is counted as ${reason}`, () => {
      assert.deepEqual(parseDelivery('distribution', sample(file), context()), { events: [], ignored: 1, ignoredReasons: { [reason]: 1 } });
    });
  }

  test('the configured registry wins over target.url', () => {
    const parsed = parseDelivery('distribution', sample('distribution-push-manifest.json'), context({ registry: 'mirror.example:5000' }));

    assert.equal(parsed.events[0]?.registry, 'mirror.example:5000');
  });

  test('with relative URLs and no configured registry, the request Host is used', () => {
    const body = variant('distribution-push-manifest.json', (b) => {
      b.events[0].target.url = `/v2/payments/ledger/manifests/${PUSH.digest}`;
      b.events[0].request.host = 'registry.internal:5000';
    });

    assert.equal(parseDelivery('distribution', body, context()).events[0]?.registry, 'registry.internal:5000');
  });

  test('a manifest pushed by digest only (a multi-arch child) is ignored as untagged', () => {
    const body = variant('distribution-push-manifest.json', (b) => {
      delete b.events[0].target.tag;
      b.events[0].target.mediaType = 'application/vnd.docker.distribution.manifest.v2+json';
    });

    assert.deepEqual(parseDelivery('distribution', body, context()), { events: [], ignored: 1, ignoredReasons: { untagged: 1 } });
  });

  test('an envelope of several events keeps the manifest push and counts the rest', () => {
    const events = (['distribution-push-blob.json', 'distribution-mount-blob.json', 'distribution-push-manifest.json'] as const).flatMap(
      (file) => (JSON.parse(sample(file).toString('utf8')) as { events: unknown[] }).events,
    );

    const parsed = parseDelivery('distribution', Buffer.from(JSON.stringify({ events })), context());

    assert.deepEqual(parsed, { events: [PUSH], ignored: 2, ignoredReasons: { blob: 1, mount: 1 } });
  });

  test('an OCI index pushed by tag keeps its media type', () => {
    const body = variant('distribution-push-manifest.json', (b) => {
      b.events[0].target.mediaType = 'application/vnd.oci.image.index.v1+json';
    });

    assert.equal(parseDelivery('distribution', body, context()).events[0]?.mediaType, 'application/vnd.oci.image.index.v1+json');
  });

  test('a schema 1 manifest and an uppercase repository are counted, not replicated', () => {
    const schema1 = variant('distribution-push-manifest.json', (b) => {
      b.events[0].target.mediaType = 'application/vnd.docker.distribution.manifest.v1+prettyjws';
    });
    const uppercase = variant('distribution-push-manifest.json', (b) => {
      b.events[0].target.repository = 'Payments/ledger';
    });

    assert.deepEqual(parseDelivery('distribution', schema1, context()).ignoredReasons, { 'unsupported-media-type': 1 });
    assert.deepEqual(parseDelivery('distribution', uppercase, context()).ignoredReasons, { 'invalid-reference': 1 });
  });

  test('an event without a target is a malformed payload naming the event', () => {
    const body = variant('distribution-push-manifest.json', (b) => {
      delete b.events[0].target;
    });

    assert.throws(() => parseDelivery('distribution', body, context()), {
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: /distribution payload events\[0\]\.target: /,
    });
  });
});
