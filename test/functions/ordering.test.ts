import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeRegistryClients, getManifest, pushImage, type PushedManifest } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

const TOKEN = 'Bearer ordering';
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;

function delivery(image: PushedManifest, repository: string, tag: string, id: string, timestamp: string): string {
  return JSON.stringify({ events: [{ id, timestamp, action: 'push', target: { mediaType: image.mediaType, digest: image.digest, size: image.size, repository, tag }, request: { host: src.host } }] });
}

async function deliver(body: string): Promise<string> {
  const response = await fetch(`${h.webhookUrl}/webhooks/distribution`, { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'application/json' }, body });
  assert.equal(response.status, 202);
  const json = (await response.json()) as { tasks: Array<{ id: string }> };
  assert.equal(json.tasks.length, 1);
  return json.tasks[0]!.id;
}

describe('pushes of one tag arriving out of order', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'order-src' }), startRegistry({ name: 'order-dst' })]);
    h = await startHarness({ sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } }, declare: [dst.host] });
    const rule = await h.api('POST', '/rules', { name: 'order', source: { registry: src.host, namespace: 'app' }, destinations: [{ registry: dst.host, namespace: 'mirror' }], overwrite: true });
    assert.equal(rule.status, 201);
  });

  after(async () => {
    await h?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('an older push delivered after a newer one was replicated is SKIPPED and does not replace it', async () => {
    // The source tag moved from `older` to `newer`; the registry's events arrive newest first.
    const older = await pushImage(src, 'app/svc', { seed: 'older' });
    const newer = await pushImage(src, 'app/svc', { seed: 'newer', tag: 'v1' });

    const newerTask = await deliver(delivery(newer, 'app/svc', 'v1', 'event-newer', '2026-11-22T10:00:02Z'));
    await h.drain();
    assert.equal((await getManifest(dst, 'mirror/svc', 'v1'))?.digest, newer.digest);

    // The older event names the older digest, as the registry reported it at the time.
    const olderTask = await deliver(delivery(older, 'app/svc', 'v1', 'event-older', '2026-11-22T10:00:01Z'));
    await h.drain();

    assert.equal((await h.api('GET', `/tasks/${newerTask}`)).body.status, 'SUCCEEDED');
    const skipped = (await h.api('GET', `/tasks/${olderTask}`)).body;
    assert.equal(skipped.status, 'SKIPPED');
    assert.match(skipped.result.reason, /a newer push of .*mirror\/svc:v1 was replicated already/);
    assert.equal((await getManifest(dst, 'mirror/svc', 'v1'))?.digest, newer.digest);
  });
});
