import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

const DELIVERY = '72d3162e-cc78-11e3-81ab-4c9367dc0958';
const PUSH = {
  provider: 'github',
  registry: 'ghcr.io',
  repository: 'tidewater-labs/inventory',
  tag: 'v0.9.0',
  digest: 'sha256:0f1ac9ed34aa830d58d40978723df228626f169bba4add69b9f22f80ea5c0f3d',
  mediaType: 'application/vnd.oci.image.manifest.v1+json',
  eventId: DELIVERY,
  occurredAt: '2025-06-22T13:37:02.000Z',
};

function headers(event: string, extra: Record<string, string> = {}) {
  return context({ headers: { 'x-github-event': event, 'x-github-delivery': DELIVERY, 'content-type': 'application/json', ...extra } });
}

describe('GitHub package webhooks', () => {
  test('a published container version becomes a push on ghcr.io, id from X-GitHub-Delivery', () => {
    assert.deepEqual(parseDelivery('github', sample('github-package-published.json'), headers('package')), {
      events: [PUSH],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('the legacy registry_package event reads the same', () => {
    assert.deepEqual(parseDelivery('github', sample('github-registry_package-published.json'), headers('registry_package')).events, [PUSH]);
  });

  test('a form-encoded delivery carries the JSON in its payload field', () => {
    const form = Buffer.from(new URLSearchParams({ payload: sample('github-package-published.json').toString('utf8') }).toString());

    const parsed = parseDelivery('github', form, headers('package', { 'content-type': 'application/x-www-form-urlencoded' }));

    assert.deepEqual(parsed.events, [PUSH]);
  });

  test('without X-GitHub-Event the event is read from the body', () => {
    const parsed = parseDelivery('github', sample('github-package-published.json'), context());

    const { provider, registry, repository, tag, digest, mediaType, occurredAt } = PUSH;
    assert.deepEqual(parsed.events, [{ provider, registry, repository, tag, digest, mediaType, occurredAt }]);
  });

  test('the child manifests of a multi-arch push (empty tag name) are ignored as untagged', () => {
    const body = variant('github-package-published.json', (b) => {
      b.package.package_version.container_metadata.tag.name = '';
    });

    assert.deepEqual(parseDelivery('github', body, headers('package')), { events: [], ignored: 1, ignoredReasons: { untagged: 1 } });
  });

  test('other events, other actions and other package types are counted, not replicated', () => {
    const ping = Buffer.from(JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 }));
    const updated = variant('github-package-published.json', (b) => {
      b.action = 'updated';
    });
    const npm = variant('github-package-published.json', (b) => {
      b.package.package_type = 'npm';
    });

    assert.deepEqual(parseDelivery('github', ping, headers('ping')).ignoredReasons, { 'not-a-push': 1 });
    assert.deepEqual(parseDelivery('github', updated, headers('package')).ignoredReasons, { 'not-a-push': 1 });
    assert.deepEqual(parseDelivery('github', npm, headers('package')).ignoredReasons, { 'not-a-container': 1 });
  });

  test('a package event without its package object is a malformed payload', () => {
    assert.throws(() => parseDelivery('github', sample('github-registry_package-published.json'), headers('package')), {
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: /github payload package: /,
    });
  });
});
