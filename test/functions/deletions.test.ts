/**
 * Replication of deletions, end to end on real registries: a tag deleted at the source reaches
 * the webhook, and only rules that opted in remove it at their destinations, after their delay.
 * Debian's docker-registry (distribution 2.8) reports deletes by digest only; distribution 3
 * reports a tag deletion as {repository, tag}: the deliveries below are written in that shape and
 * sent to the real webhook endpoint, after the tag really was deleted at the source registry.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeRegistryClients, getManifest, pushImage, pushManifest } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

const TOKEN = 'Bearer deletions-webhook-token';
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let eventCounter = 0;

async function deliver(action: 'push' | 'delete', repository: string, tag: string, digest?: string): Promise<Array<{ id: string; created: boolean }>> {
  const target = { repository, tag, ...(digest ? { digest } : {}), ...(action === 'push' ? { mediaType: 'application/vnd.oci.image.manifest.v1+json' } : {}) };
  const body = { events: [{ id: `ev-${action}-${++eventCounter}`, timestamp: new Date().toISOString(), action, target }] };
  const response = await fetch(`${h.webhookUrl}/webhooks/distribution`, { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 202);
  return ((await response.json()) as { tasks: Array<{ id: string; created: boolean }> }).tasks;
}

async function deleteAtSource(repository: string, digest: string): Promise<void> {
  const response = await fetch(`${src.url}/v2/${repository}/manifests/${digest}`, { method: 'DELETE' });
  assert.equal(response.status, 202);
}

async function rule(name: string, namespace: string, destination: string, deletions?: { enabled: boolean; delaySeconds: number }): Promise<string> {
  const created = await h.api('POST', '/rules', { name, source: { registry: src.host, namespace }, destinations: [{ registry: dst.host, namespace: destination }], ...(deletions ? { deletions } : {}) });
  assert.equal(created.status, 201, JSON.stringify(created.body));
  return created.body.id;
}

describe('replication of deletions (opt-in, after the rule\'s delay)', () => {
  before(async () => {
    src = await startRegistry({ name: 'deletions-src' });
    dst = await startRegistry({ name: 'deletions-dst' });
    h = await startHarness({
      sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } },
      declare: [dst.host],
      maxReceiveCount: 5,
      // Gives the worker the queue, so a message received before its not-before time is hidden again.
      redelivery: { baseMs: 100, maxMs: 200 },
    });
  });

  after(async () => {
    await h?.close();
    await closeRegistryClients();
    await Promise.all([src?.close(), dst?.close()]);
  });

  test('a delete at the source removes the tag at the opted-in rule\'s destination only after the delay; the other rule\'s copy stays', async () => {
    const optedIn = await rule('team mirrored with deletions', 'team', 'with-deletes', { enabled: true, delaySeconds: 3 });
    await rule('team mirrored without deletions', 'team', 'without-deletes');
    const image = await pushImage(src, 'team/app', { tag: 'v1', seed: 'deletions-app' });
    await deliver('push', 'team/app', 'v1', image.digest);
    await h.drain({ idleMs: 1000 });
    assert.equal((await getManifest(dst, 'with-deletes/app', 'v1'))?.digest, image.digest);
    assert.equal((await getManifest(dst, 'without-deletes/app', 'v1'))?.digest, image.digest);

    await deleteAtSource('team/app', image.digest);
    const requested = Date.now();
    const tasks = await deliver('delete', 'team/app', 'v1', image.digest);
    assert.equal(tasks.length, 1, 'one delete task: only the rule that opted in');
    const duplicate = await deliver('delete', 'team/app', 'v1', image.digest);
    assert.equal(duplicate.length, 1);
    const pending = await h.taskStore.get(tasks[0]!.id);
    assert.equal(pending?.kind, 'delete');
    assert.equal(pending?.ruleId, optedIn);
    assert.equal(pending?.status, 'PENDING');
    const notBefore = Date.parse(pending!.notBefore!);
    assert.ok(notBefore >= requested + 2_000 && notBefore <= Date.now() + 3_000, pending!.notBefore);
    assert.equal(pending?.nextAttemptAt, pending?.notBefore, 'the record shows when the delete will run');

    // Before the delay is over: nothing deleted, however often the queue is drained.
    await h.drain({ idleMs: 500, maxMs: 1_500 });
    if (Date.now() < notBefore - 200) {
      assert.equal((await getManifest(dst, 'with-deletes/app', 'v1'))?.digest, image.digest, 'still there before the delay');
      assert.equal((await h.taskStore.get(tasks[0]!.id))?.status, 'PENDING');
    }

    await h.drain({ idleMs: 2_500, maxMs: 15_000 });
    const record = await h.taskStore.get(tasks[0]!.id);
    assert.equal(record?.status, 'SUCCEEDED', JSON.stringify(record));
    assert.ok(Date.parse(record!.finishedAt!) >= notBefore, `${record!.finishedAt} not before ${pending!.notBefore}`);
    assert.match(record!.result!.reason!, /deleted/);
    assert.equal(await getManifest(dst, 'with-deletes/app', 'v1'), undefined);
    assert.equal((await getManifest(dst, 'without-deletes/app', 'v1'))?.digest, image.digest, 'a rule that did not opt in keeps its copy');
  });

  test('a destination tag re-pushed with another image, and a manifest another tag still points at, are kept with a reason', async () => {
    await rule('keep mirrored with deletions', 'keep', 'keep-mirror', { enabled: true, delaySeconds: 0 });
    const repushed = await pushImage(src, 'keep/repushed', { tag: 'v1', seed: 'keep-repushed' });
    const shared = await pushImage(src, 'keep/shared', { tag: 'v1', seed: 'keep-shared' });
    await deliver('push', 'keep/repushed', 'v1', repushed.digest);
    await deliver('push', 'keep/shared', 'v1', shared.digest);
    await h.drain({ idleMs: 1000 });
    // At the destination: `repushed:v1` now holds another image; `shared:latest` points at the same manifest as `shared:v1`.
    const other = await pushImage(dst, 'keep-mirror/repushed', { tag: 'v1', seed: 'keep-other' });
    const copied = await getManifest(dst, 'keep-mirror/shared', 'v1');
    await pushManifest(dst, 'keep-mirror/shared', 'latest', copied!.bytes, copied!.mediaType);

    await deleteAtSource('keep/repushed', repushed.digest);
    await deleteAtSource('keep/shared', shared.digest);
    const [repushedTask] = await deliver('delete', 'keep/repushed', 'v1', repushed.digest);
    const [sharedTask] = await deliver('delete', 'keep/shared', 'v1', shared.digest);
    await h.drain({ idleMs: 1000 });

    const kept = await h.taskStore.get(repushedTask!.id);
    assert.equal(kept?.status, 'SKIPPED');
    assert.match(kept!.result!.reason!, /pushed again and is kept/);
    assert.equal((await getManifest(dst, 'keep-mirror/repushed', 'v1'))?.digest, other.digest);

    const sharedRecord = await h.taskStore.get(sharedTask!.id);
    assert.equal((await getManifest(dst, 'keep-mirror/shared', 'latest'))?.digest, shared.digest, 'the other tag keeps its manifest');
    // distribution 2.8 cannot delete a tag alone: the shared manifest is kept and the task says why.
    assert.equal(sharedRecord?.status, 'SKIPPED', JSON.stringify(sharedRecord));
    assert.match(sharedRecord!.result!.reason!, /cannot delete a tag alone, and latest points at the same manifest/);
  });
});
