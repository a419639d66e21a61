import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../shared/log.ts';
import { runDueSubscriptions } from '../../shared/intake/due-subscriptions.ts';
import { Subscription } from '../../shared/subscriptions/subscription.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, getManifest, listTags, pushImage, pushIndex } from '../support/images.ts';
import { freePort } from '../support/ports.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
let upstream: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
/** A declared registry nobody listens on. */
let gone: string;
const at = (minute: number) => `2026-11-01T10:${String(minute).padStart(2, '0')}:00Z`;

async function subscribe(body: Record<string, unknown>): Promise<string> {
  const res = await h.api('POST', '/subscriptions', { name: 'sub', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body.id;
}

async function run(id: string): Promise<any> {
  const res = await h.api('POST', `/subscriptions/${id}/run`);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return res.body;
}

describe('subscriptions keep the newest matching tags of an external repository', () => {
  before(async () => {
    [upstream, dst] = await Promise.all([startRegistry({ name: 'upstream' }), startRegistry({ name: 'sub-dst' })]);
    proxy = await startFaultProxy(upstream.url);
    gone = `127.0.0.1:${await freePort()}`;
    h = await startHarness({ declare: [upstream.host, dst.host, proxy.host, gone, 'docker.io', 'r.example', 'd.example'] });
    // Pushed out of order on purpose: "newest" must come from the images, not from the push order.
    for (const [tag, minute] of [['v2.0.0', 30], ['v1.0.0', 10], ['latest', 50], ['v1.1.0', 20], ['v2.1.0-rc1', 40]] as const) {
      await pushImage(upstream, 'upstream/app', { tag, seed: `app-${tag}`, created: at(minute) });
    }
  });

  after(async () => {
    await h?.close();
    await proxy?.close();
    await Promise.all([upstream?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('exactly the N newest matching tags are replicated; a second run enqueues nothing', async () => {
    const id = await subscribe({ source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'mirror/app' }, tagPattern: 'v[0-9]+\\.[0-9]+\\.[0-9]+', latest: 2 });
    const first = await run(id);
    assert.equal(first.considered, 3);
    assert.equal(first.enqueued, 2);
    await h.drain();
    assert.deepEqual((await listTags(dst, 'mirror/app')).sort(), ['v1.1.0', 'v2.0.0']);
    for (const tag of ['v1.1.0', 'v2.0.0']) assert.equal((await getManifest(dst, 'mirror/app', tag))?.digest, (await getManifest(upstream, 'upstream/app', tag))?.digest);

    const second = await run(id);
    assert.deepEqual([second.enqueued, second.upToDate, second.errors], [0, 2, []]);
    const record = (await h.api('GET', `/subscriptions/${id}`)).body;
    assert.equal(record.lastRun.upToDate, 2);
    assert.ok(Date.parse(record.nextRunAt) > Date.now());
  });

  test('ordered by semantic version instead', async () => {
    const id = await subscribe({ source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'semver/app' }, tagPattern: 'v.*', latest: 1, order: 'semver' });
    assert.equal((await run(id)).enqueued, 1);
    await h.drain();
    assert.deepEqual(await listTags(dst, 'semver/app'), ['v2.1.0-rc1']);
  });

  test('a tag moved at the source is replicated again with overwrite on, and skipped with the reason with it off', async () => {
    const follow = await subscribe({ source: { registry: upstream.host, repository: 'upstream/moving' }, destination: { registry: dst.host, repository: 'follow/moving' }, latest: 1 });
    const keep = await subscribe({ source: { registry: upstream.host, repository: 'upstream/moving' }, destination: { registry: dst.host, repository: 'keep/moving' }, latest: 1, overwrite: false });
    const before = await pushImage(upstream, 'upstream/moving', { tag: 'stable', seed: 'moving-1', created: at(1) });
    await run(follow);
    await run(keep);
    await h.drain();
    assert.equal((await getManifest(dst, 'keep/moving', 'stable'))?.digest, before.digest);

    const moved = await pushImage(upstream, 'upstream/moving', { tag: 'stable', seed: 'moving-2', created: at(2) });
    assert.equal((await run(follow)).enqueued, 1);
    const kept = await run(keep);
    assert.equal(kept.enqueued, 1);
    await h.drain();

    assert.equal((await getManifest(dst, 'follow/moving', 'stable'))?.digest, moved.digest);
    assert.equal((await getManifest(dst, 'keep/moving', 'stable'))?.digest, before.digest);
    const record = (await h.api('GET', `/tasks/${kept.tasks[0]}`)).body;
    assert.equal(record.status, 'SKIPPED');
    assert.match(record.result.reason, /overwrite is off/);
  });

  test('a platform subset: the destination holds exactly those platforms', async () => {
    await pushIndex(upstream, 'upstream/multi', { tag: 'v1', format: 'oci', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }, { os: 'linux', architecture: 's390x' }] });
    const id = await subscribe({ source: { registry: upstream.host, repository: 'upstream/multi' }, destination: { registry: dst.host, repository: 'two/multi' }, latest: 1, platforms: ['linux/arm64', 'linux/amd64'] });
    await run(id);
    await h.drain();
    const index = JSON.parse((await getManifest(dst, 'two/multi', 'v1'))!.bytes.toString());
    assert.deepEqual(index.manifests.map((m: { platform: { architecture: string } }) => m.platform.architecture).sort(), ['amd64', 'arm64']);
  });

  test('a source answering 429 with Retry-After: the run waits and completes', async () => {
    await pushImage(upstream, 'upstream/limited', { tag: 'v1', seed: 'limited', created: at(5) });
    proxy.addFault({ method: 'GET', path: /\/tags\/list$/, action: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    const id = await subscribe({ source: { registry: proxy.host, repository: 'upstream/limited' }, destination: { registry: dst.host, repository: 'limited/app' }, latest: 1 });
    const started = Date.now();
    const result = await run(id);
    assert.deepEqual([result.enqueued, result.errors], [1, []]);
    assert.ok(Date.now() - started >= 1000, 'waited for Retry-After');
    assert.deepEqual(proxy.requests.filter((r) => r.path.endsWith('/tags/list')).map((r) => r.fault), ['status', undefined]);
    await h.drain();
    assert.ok(await getManifest(dst, 'limited/app', 'v1'));
  });

  test('each image is read once: later runs only HEAD the tags (Docker Hub counts manifest reads as pulls)', async () => {
    for (const [tag, minute] of [['a', 1], ['b', 2], ['c', 3]] as const) await pushImage(upstream, 'upstream/counted', { tag, seed: `counted-${tag}`, created: at(minute) });
    const id = await subscribe({ source: { registry: proxy.host, repository: 'upstream/counted' }, destination: { registry: dst.host, repository: 'counted/app' }, latest: 2 });
    const reads = (from: number) => proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.path.includes('/manifests/')).length;

    let from = proxy.requests.length;
    assert.equal((await run(id)).enqueued, 2);
    assert.equal(reads(from), 3, 'the first run reads each candidate once');
    await h.drain();
    from = proxy.requests.length;
    const second = await run(id);
    assert.deepEqual([second.enqueued, second.upToDate], [0, 2]);
    assert.equal(reads(from), 0, 'no manifest GET on the second run');
    assert.deepEqual((await listTags(dst, 'counted/app')).sort(), ['b', 'c']);
  });

  test('invalid subscriptions are refused with 400 naming every problem', async () => {
    const res = await h.api('POST', '/subscriptions', { name: 'bad', source: { registry: 'docker.io', repository: 'library/alpine' }, destination: { registry: 'docker.io', repository: 'library/alpine' }, tagPattern: '(x', latest: 40, schedule: '1m', platforms: ['arm'] });
    assert.equal(res.status, 400);
    const text = res.body.error.problems.join('\n');
    for (const expected of [/tagPattern: invalid tag pattern/, /latest: at most 25 tags for docker.io/, /schedule: .*at least every 5m/, /platforms: invalid platform "arm"/, /destination: the destination is the source itself/]) assert.match(text, expected);
    const zero = await h.api('POST', '/subscriptions', { name: 'zero', source: { registry: 'r.example', repository: 'a/b' }, destination: { registry: 'd.example', repository: 'a/b' }, latest: 0 });
    assert.equal(zero.status, 400);
    assert.match(zero.body.error.problems.join(), /latest/);
  });

  test('a subscription whose source is down records its error; the others still run', async () => {
    const down = await subscribe({ source: { registry: gone, repository: 'gone/app' }, destination: { registry: dst.host, repository: 'gone/app' }, latest: 1 });
    const fine = await subscribe({ source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'fine/app' }, tagPattern: 'v1\\.0\\.0', latest: 1 });
    const result = await runDueSubscriptions({ taskStore: h.taskStore, queue: { send: async () => ({ failed: [] as string[] }) }, logger: silentLogger, pool: h.pool, subscriptionStore: h.subscriptionStore });
    assert.ok(result.ran >= 2 && result.failed >= 1, JSON.stringify(result));
    const downRecord = (await h.api('GET', `/subscriptions/${down}`)).body;
    assert.match(downRecord.lastRun.errors[0], /list tags of .*gone\/app: .*(ECONNREFUSED|unreachable)/i);
    const fineRecord = (await h.api('GET', `/subscriptions/${fine}`)).body;
    assert.deepEqual([fineRecord.lastRun.enqueued, fineRecord.lastRun.errors], [1, []]);
  });

  test('a schedule that never runs (31 April, 30 February) is refused with 400 naming it', async () => {
    for (const schedule of ['0 0 31 4 *', '0 0 30 2 *']) {
      const res = await h.api('POST', '/subscriptions', { name: 'never', source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'never/app' }, latest: 1, schedule });

      assert.equal(res.status, 400, schedule);
      assert.equal(res.body.error.code, 'SUBSCRIPTION_INVALID');
      assert.deepEqual(res.body.error.problems, [`schedule: schedule "${schedule}" never runs: no date matches it`]);
    }
  });

  test('a stored subscription whose schedule never runs is switched off with the reason; the others still run', async () => {
    // Written straight to the store, as records saved before schedules were checked at creation are.
    const at = '2026-01-01T00:00:00.000Z';
    const never = Subscription.parse({ name: 'stored never', source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'never/app' }, latest: 1, schedule: '0 0 31 4 *', id: 'stored-never', createdAt: at, updatedAt: at, nextRunAt: at });
    await h.subscriptionStore.put(never);
    const fine = await subscribe({ source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'after-never/app' }, tagPattern: 'v1\\.1\\.0', latest: 1 });
    const deps = { taskStore: h.taskStore, queue: { send: async () => ({ failed: [] as string[] }) }, logger: silentLogger, pool: h.pool, subscriptionStore: h.subscriptionStore };

    const result = await runDueSubscriptions(deps);

    assert.ok(result.ran >= 2 && result.failed >= 1, JSON.stringify(result));
    const neverRecord = (await h.api('GET', '/subscriptions/stored-never')).body;
    assert.equal(neverRecord.enabled, false);
    assert.deepEqual(neverRecord.lastRun.errors, ['schedule: schedule "0 0 31 4 *" never runs: no date matches it']);
    const fineRecord = (await h.api('GET', `/subscriptions/${fine}`)).body;
    assert.deepEqual([fineRecord.lastRun.enqueued, fineRecord.lastRun.errors], [1, []]);
    // Switched off, it is no longer due: the next minute's run does not record it again.
    await runDueSubscriptions(deps);
    assert.equal((await h.api('GET', '/subscriptions/stored-never')).body.lastRun.at, neverRecord.lastRun.at);
  });

  test('the schedule runs only what is due, and moves each run\'s next time forward', async () => {
    const id = await subscribe({ source: { registry: upstream.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'scheduled/app' }, tagPattern: 'v1\\..*', latest: 1, schedule: '6h' });
    const deps = { taskStore: h.taskStore, queue: { send: async () => ({ failed: [] as string[] }) }, logger: silentLogger, pool: h.pool, subscriptionStore: h.subscriptionStore };
    const first = await runDueSubscriptions(deps);
    assert.ok(first.ran >= 1);
    const again = await runDueSubscriptions(deps);
    assert.equal(again.ran, 0);
    const record = (await h.api('GET', `/subscriptions/${id}`)).body;
    assert.ok(Date.parse(record.nextRunAt) - Date.parse(record.lastRun.at) >= 6 * 3600_000 - 1000);
  });
});
