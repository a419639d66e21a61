import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../shared/log.ts';
import { runDueSubscriptions } from '../../shared/intake/due-subscriptions.ts';
import { startSubscriptionRun } from '../../shared/intake/subscription-expansion.ts';
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

/** Runs a subscription now and waits for its listing (and the copies it queued): its `lastRun`. */
async function run(id: string): Promise<any> {
  const res = await h.api('POST', `/subscriptions/${id}/run`);
  assert.equal(res.status, 202, JSON.stringify(res.body));
  await h.drain({ maxMs: 120_000 });
  const record = (await h.api('GET', `/subscriptions/${id}`)).body;
  assert.equal(record.lastRun?.executionId, res.body.execution.id, 'the run recorded on the subscription is this one');
  return record.lastRun;
}

/** What the schedule (and the worker function) gets, wired from the harness. */
const scheduleDeps = () => ({ taskStore: h.taskStore, queue: h.queue, logger: silentLogger, executionStore: h.executionStore, subscriptionStore: h.subscriptionStore });

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

  test('run now answers 202 with an execution before any registry is contacted; the execution ends with the right counts', async () => {
    const id = await subscribe({ source: { registry: proxy.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'exec/app' }, tagPattern: 'v[0-9]+\\.[0-9]+\\.[0-9]+', latest: 2 });
    const before = proxy.requests.length;
    const res = await h.api('POST', `/subscriptions/${id}/run`);
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.match(res.body.execution.id, /^s-/);
    assert.equal(res.body.execution.subscriptionId, id);
    assert.equal(proxy.requests.length, before, 'the answer came before the source was contacted');
    assert.equal((await h.api('GET', `/executions/${res.body.execution.id}`)).body.status, 'RUNNING');
    assert.equal((await h.api('GET', `/subscriptions/${id}`)).body.lastRun, undefined, 'no run recorded before its listing completes');

    await h.drain({ maxMs: 120_000 });
    const done = (await h.api('GET', `/executions/${res.body.execution.id}`)).body;
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.tasks, 2);
    assert.equal(done.counts.succeeded, 2);
    assert.deepEqual({ ...done.expansion }, { repositories: 1, repositoriesDone: 1, catalogDone: true, catalogPages: 1, considered: 3, upToDate: 0, errors: 0 });
    const lastRun = (await h.api('GET', `/subscriptions/${id}`)).body.lastRun;
    assert.deepEqual([lastRun.executionId, lastRun.considered, lastRun.enqueued, lastRun.upToDate, lastRun.errors], [done.id, 3, 2, 0, []]);
    assert.deepEqual((await listTags(dst, 'exec/app')).sort(), ['v1.1.0', 'v2.0.0']);
  });

  test('a tag list read page by page, each step delivered twice: every count once, no task twice', async () => {
    // Distribution 2.8 answers every tag in one page whatever `n` says: the proxy scripts the
    // three pages of two (the tags as the registry lists them); manifests come from the registry.
    const pages = [['latest', 'v1.0.0'], ['v1.1.0', 'v2.0.0'], ['v2.1.0-rc1']];
    pages.forEach((tags, i) => proxy.addFault({
      method: 'GET',
      path: /^\/v2\/upstream\/app\/tags\/list$/,
      query: i === 0 ? /^n=2$/ : new RegExp(`last=${pages[i - 1]!.at(-1)!.replaceAll('.', '\\.')}$`),
      times: Infinity,
      action: {
        kind: 'status',
        status: 200,
        headers: { 'content-type': 'application/json', ...(i < 2 ? { link: `</v2/upstream/app/tags/list?n=2&last=${tags.at(-1)}>; rel="next"` } : {}) },
        body: JSON.stringify({ name: 'upstream/app', tags }),
      },
    }));
    const id = await subscribe({ source: { registry: proxy.host, repository: 'upstream/app' }, destination: { registry: dst.host, repository: 'paged/app' }, tagPattern: 'v[0-9]+\\.[0-9]+\\.[0-9]+', latest: 2 });
    const subscription = (await h.subscriptionStore.get(id))!;
    const execution = await startSubscriptionRun(subscription, { ...scheduleDeps(), tagPageSize: 2 });
    const first = { kind: 'tags' as const, page: 0, path: '/v2/upstream/app/tags/list?n=2', considered: 0, candidates: [] };
    // The first step again, while the run is under way: its chain is a duplicate from there on.
    await h.queue.sendExpansion!([{ subscriptionRun: { executionId: execution.id, subscriptionId: id, step: first } }]);
    await h.drain({ maxMs: 120_000 });
    const done = (await h.api('GET', `/executions/${execution.id}`)).body;
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.deepEqual({ ...done.expansion }, { repositories: 1, repositoriesDone: 1, catalogDone: true, catalogPages: 3, considered: 3, upToDate: 0, errors: 0 });
    assert.equal(done.tasks, 2);
    const tasks = (await h.api('GET', `/tasks?execution=${execution.id}&limit=200`)).body.items;
    assert.deepEqual(tasks.map((t: { destination: { tag: string } }) => t.destination.tag).sort(), ['v1.1.0', 'v2.0.0']);
    const lastRun = (await h.api('GET', `/subscriptions/${id}`)).body.lastRun;
    assert.deepEqual([lastRun.executionId, lastRun.considered, lastRun.enqueued, lastRun.errors], [execution.id, 3, 2, []]);

    // Every step once more after the run ended: nothing changes.
    await h.queue.sendExpansion!([
      { subscriptionRun: { executionId: execution.id, subscriptionId: id, step: first } },
      { subscriptionRun: { executionId: execution.id, subscriptionId: id, step: { kind: 'tags', page: 2, path: '/v2/upstream/app/tags/list?n=2&last=v2.0.0', considered: 3, candidates: ['v1.0.0', 'v1.1.0', 'v2.0.0'] } } },
      { subscriptionRun: { executionId: execution.id, subscriptionId: id, step: { kind: 'plan', considered: 3, candidates: ['v1.0.0', 'v1.1.0', 'v2.0.0'] } } },
    ]);
    await h.drain({ maxMs: 120_000 });
    const again = (await h.api('GET', `/executions/${execution.id}`)).body;
    assert.deepEqual([again.tasks, again.expansion, again.status], [2, done.expansion, 'SUCCEEDED']);
    assert.deepEqual((await h.api('GET', `/subscriptions/${id}`)).body.lastRun, lastRun);
    assert.equal(proxy.requests.filter((r) => r.url.includes('n=2')).length >= 3, true, 'the pages were read through the proxy');
    proxy.clearFaults();
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
    const from = proxy.requests.length;
    proxy.addFault({ method: 'GET', path: /\/tags\/list$/, action: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    const id = await subscribe({ source: { registry: proxy.host, repository: 'upstream/limited' }, destination: { registry: dst.host, repository: 'limited/app' }, latest: 1 });
    const result = await run(id);
    assert.deepEqual([result.enqueued, result.errors], [1, []]);
    assert.deepEqual(proxy.requests.slice(from).filter((r) => r.path.endsWith('/tags/list')).map((r) => r.fault), ['status', undefined]);
    await h.drain();
    assert.ok(await getManifest(dst, 'limited/app', 'v1'));
  });

  test('each image is read once: later runs only HEAD the tags (Docker Hub counts manifest reads as pulls)', async () => {
    for (const [tag, minute] of [['a', 1], ['b', 2], ['c', 3]] as const) await pushImage(upstream, 'upstream/counted', { tag, seed: `counted-${tag}`, created: at(minute) });
    const id = await subscribe({ source: { registry: proxy.host, repository: 'upstream/counted' }, destination: { registry: dst.host, repository: 'counted/app' }, latest: 2 });
    const reads = (from: number) => proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.path.includes('/manifests/')).length;

    let from = proxy.requests.length;
    const first = await run(id);
    assert.equal(first.enqueued, 2);
    // The run and its copies went through the queue together: "a" is read by the run alone (the
    // copies take b and c), and just once.
    const a = (await getManifest(upstream, 'upstream/counted', 'a'))!.digest;
    assert.equal(proxy.requests.slice(from).filter((r) => r.method === 'GET' && r.path.endsWith(`/manifests/${a}`)).length, 1, 'the first run reads each candidate once');
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
    const result = await runDueSubscriptions(scheduleDeps());
    assert.ok(result.ran >= 2, JSON.stringify(result));
    // Each run's listing goes through the queue: the source that is down fails there, retried
    // until maxReceiveCount, then recorded as its run's error.
    await h.drain({ maxMs: 120_000 });
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
    const deps = scheduleDeps();

    const result = await runDueSubscriptions(deps);
    await h.drain({ maxMs: 120_000 });

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
    const deps = scheduleDeps();
    const first = await runDueSubscriptions(deps);
    assert.ok(first.ran >= 1);
    const again = await runDueSubscriptions(deps);
    assert.equal(again.ran, 0);
    // The schedule only started the run: its listing waits in the queue for the worker.
    assert.equal((await h.api('GET', `/subscriptions/${id}`)).body.lastRun, undefined);
    await h.drain({ maxMs: 120_000 });
    const record = (await h.api('GET', `/subscriptions/${id}`)).body;
    assert.ok(Date.parse(record.nextRunAt) - Date.parse(record.lastRun.at) >= 6 * 3600_000 - 1000);
  });
});
