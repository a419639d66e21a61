/**
 * Rule runs as executions: the run answers at once, the listing goes through the queue step by
 * step, the execution's counts come from its tasks, and retry-failed re-runs only what failed.
 * The destination outage is a fault proxy in front of a real registry (a registry will not
 * answer 503 on demand): it refuses uploads to some repositories while HEADs pass.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, getManifest, pushImage, pushManifest, type PushedManifest } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';
import { runRuleToEnd } from './rule-runs.ts';

const REPOSITORIES = 6;
const TAGS = 3;
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
let image: PushedManifest;
const repo = (i: number) => `team/app-${String(i).padStart(2, '0')}`;

describe('rule runs are executions listed through the queue', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'exec-src' }), startRegistry({ name: 'exec-dst' })]);
    proxy = await startFaultProxy(dst.url);
    h = await startHarness({ declare: [src.host, proxy.host], maxReceiveCount: 2 });
    // One small image, tagged many times in every repository: its blobs are pushed once per repository.
    for (let i = 0; i < REPOSITORIES; i++) {
      image = await pushImage(src, repo(i), { tag: 't0', seed: 'exec-shared', layers: 1, layerSize: 64 });
      for (let t = 1; t < TAGS; t++) await pushManifest(src, repo(i), `t${t}`, image.bytes, image.mediaType);
    }
  });

  after(async () => {
    await h?.close();
    await proxy?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('POST /rules/:id/run answers 202 with an execution at once; the execution ends with every count right', async () => {
    const rule = (await h.api('POST', '/rules', { name: 'exec', source: { registry: src.host, namespace: 'team' }, destinations: [{ registry: proxy.host, namespace: 'mirror' }] })).body;
    const res = await h.api('POST', `/rules/${rule.id}/run`);
    assert.equal(res.status, 202);
    assert.match(res.body.execution.id, /^r-/);
    assert.equal(res.body.execution.status, 'RUNNING');
    assert.equal(proxy.requests.length, 0, 'the answer came before any registry was contacted');
    const early = (await h.api('GET', `/executions/${res.body.execution.id}`)).body;
    assert.equal(early.status, 'RUNNING', 'not finished before it is listed');

    await h.drain({ maxMs: 180_000 });
    const done = (await h.api('GET', `/executions/${res.body.execution.id}`)).body;
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done));
    assert.equal(done.tasks, REPOSITORIES * TAGS);
    assert.deepEqual(done.counts, { pending: 0, retrying: 0, queued: 0, running: 0, succeeded: REPOSITORIES * TAGS, skipped: 0, failed: 0 });
    assert.deepEqual({ ...done.expansion, catalogPages: undefined }, { repositories: REPOSITORIES, repositoriesDone: REPOSITORIES, catalogDone: true, catalogPages: undefined, considered: REPOSITORIES * TAGS, upToDate: 0, errors: 0 });
    assert.ok(done.bytes > 0);
    assert.ok(done.finishedAt >= done.startedAt);
    assert.equal((await getManifest(dst, `mirror/app-${String(REPOSITORIES - 1).padStart(2, '0')}`, `t${TAGS - 1}`))?.digest, image.digest);
    const listed = (await h.api('GET', `/tasks?execution=${done.id}&limit=200`)).body;
    assert.equal(listed.items.length, REPOSITORIES * TAGS);
    assert.ok(listed.items.every((t: { executionId: string }) => t.executionId === done.id));
    const executions = (await h.api('GET', '/executions')).body.items;
    assert.equal(executions[0].id, done.id);
    assert.equal(executions[0].status, 'SUCCEEDED');
  });

  test('a listing step delivered twice counts once and creates nothing more', async () => {
    const rule = (await h.api('POST', '/rules', { name: 'dup', source: { registry: src.host, namespace: 'team' }, tagPattern: 't0', destinations: [{ registry: proxy.host, namespace: 'dup' }] })).body;
    const { execution } = await runRuleToEnd(h, rule.id);
    assert.equal(execution.tasks, REPOSITORIES);
    await h.queue.sendExpansion!([0, 1].map(() => ({ expand: { executionId: execution.id, ruleId: rule.id, step: { kind: 'repository' as const, repository: repo(0) } } })));
    await h.queue.sendExpansion!([{ expand: { executionId: execution.id, ruleId: rule.id, step: { kind: 'catalog', page: 0, path: '/v2/_catalog?n=1000' } } }]);
    await h.drain({ maxMs: 180_000 });
    const again = (await h.api('GET', `/executions/${execution.id}`)).body;
    assert.equal(again.tasks, REPOSITORIES);
    assert.deepEqual(again.expansion, execution.expansion);
    assert.equal(again.status, 'SUCCEEDED');
  });

  test('after a destination outage, retry-failed re-runs only the failed tasks and the execution succeeds', async () => {
    const rule = (await h.api('POST', '/rules', { name: 'outage', source: { registry: src.host, namespace: 'team' }, destinations: [{ registry: proxy.host, namespace: 'outage' }] })).body;
    // Uploads to the first two repositories fail for as long as the outage lasts.
    proxy.addFault({ method: 'POST', path: /^\/v2\/outage\/app-0[01]\/blobs\/uploads\/$/, times: Infinity, action: { kind: 'status', status: 503 } });
    const first = await runRuleToEnd(h, rule.id);
    const failed = first.tasks.filter((t) => t.status === 'FAILED').map((t) => t.id).sort();
    assert.equal(failed.length, 2 * TAGS, JSON.stringify(first.execution.counts));
    assert.equal(first.execution.status, 'FAILED');
    assert.equal(first.execution.counts.succeeded, (REPOSITORIES - 2) * TAGS);

    proxy.clearFaults();
    const retry = await h.api('POST', `/executions/${first.execution.id}/retry-failed`);
    assert.equal(retry.status, 202);
    assert.deepEqual([...retry.body.retried].sort(), failed);
    await h.drain({ maxMs: 180_000 });
    const after = (await h.api('GET', `/executions/${first.execution.id}`)).body;
    assert.equal(after.status, 'SUCCEEDED', JSON.stringify(after.counts));
    assert.equal(after.counts.succeeded, REPOSITORIES * TAGS);
    const records = (await h.api('GET', `/tasks?execution=${first.execution.id}&limit=200`)).body.items;
    const rerun = records.filter((t: { generation: number }) => t.generation > 0).map((t: { id: string }) => t.id).sort();
    assert.deepEqual(rerun, failed, 'only the failed tasks ran again');
    assert.equal((await h.api('POST', `/executions/${first.execution.id}/retry-failed`)).body.retried.length, 0);
  });

  test('an unknown execution is 404 in the error shape', async () => {
    const res = await h.api('GET', '/executions/r-20260101T000000000Z-000000000000');
    assert.equal(res.status, 404);
    assert.equal(res.body.error.code, 'EXECUTION_NOT_FOUND');
  });
});
