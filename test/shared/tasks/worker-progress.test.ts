import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../shared/log.ts';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { newTask, type Task } from '../../../shared/tasks/task.ts';
import { createWorker } from '../../../shared/tasks/worker.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startRegistries, type TestRegistry } from '../../support/registry.ts';
import { createEngine } from '../oci/fixtures.ts';
import type { CopyEngine } from '../../../shared/oci/copy.ts';

// Live progress on a RUNNING record, written by the worker at a bounded rate: real registries
// (the source slowed by a proxy), the real SDK on dynalite, UpdateItem calls counted by an SDK
// middleware.

const MiB = 1024 * 1024;
let aws: LocalAws;
let store: DynamoDbTaskStore;
let src: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
let engine: CopyEngine;
const progressWrites: string[] = [];

before(async () => {
  aws = await startLocalAws({ dynamodb: 'dynalite' });
  store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 7 });
  aws.clients.dynamodb.middlewareStack.add((next) => async (args) => {
    const input = args.input as { UpdateExpression?: string; Key?: { pk?: { S?: string } } };
    if (input.UpdateExpression?.includes('progress = :progress')) progressWrites.push(input.Key?.pk?.S ?? '');
    return next(args);
  }, { step: 'initialize', name: 'countProgressWrites' });
  const registries = await startRegistries(2, { name: 'progress' });
  src = registries[0]!;
  dst = registries[1]!;
  proxy = await startFaultProxy(src.url);
  engine = createEngine({});
});

after(async () => {
  await engine?.close();
  await proxy?.close();
  await Promise.all([src?.close(), dst?.close()]);
  await closeRegistryClients();
  await aws?.close();
});

async function run(repository: string, layerSize: number, progressIntervalMs: number, watch: (task: Task) => void): Promise<Task> {
  await pushImage(src, repository, { tag: 'v1', layers: 0, sharedLayers: [randomBytes(layerSize)] });
  const task = newTask({
    kind: 'manual',
    source: { registry: proxy.host, repository, tag: 'v1' },
    destination: { registry: dst.host, repository, tag: 'v1' },
    options: { overwrite: false, platforms: [], referrers: false },
    identity: repository,
  }, new Date());
  await store.create(task);
  const worker = createWorker({ taskStore: store, engine, logger: silentLogger, maxReceiveCount: 3, progressIntervalMs });
  const done = worker([{ messageId: 'm1', body: JSON.stringify({ taskId: task.id }), receiveCount: 1 }], { deadline: Date.now() + 120_000 });
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    const seen = await store.get(task.id);
    if (seen) watch(seen);
    await new Promise((r) => setTimeout(r, 50));
  }
  assert.deepEqual(await done, []);
  return (await store.get(task.id))!;
}

describe('live progress', () => {
  test('a RUNNING record shows bytes and blobs done of their totals and the current rate; the finished one drops it', async () => {
    proxy.clearFaults();
    proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, action: { kind: 'throttle', bytesPerSecond: 4 * MiB } });
    const seen: Task['progress'][] = [];
    const finished = await run('progress/slow', 6 * MiB, 300, (task) => {
      if (task.status === 'RUNNING' && task.progress) seen.push(task.progress);
    });
    assert.equal(finished.status, 'SUCCEEDED');
    assert.equal(finished.progress, undefined);
    assert.ok(seen.length >= 1, 'progress seen while RUNNING');
    const last = seen.at(-1)!;
    assert.ok(last.bytesDone > 0 && last.bytesDone <= last.bytesTotal, JSON.stringify(last));
    assert.ok(last.bytesTotal >= 6 * MiB, JSON.stringify(last));
    assert.ok(last.blobsTotal >= 1 && last.blobsDone <= last.blobsTotal, JSON.stringify(last));
    assert.ok(seen.some((p) => p!.bytesDone > 0 && p!.bytesDone < p!.bytesTotal && p!.bytesPerSecond > 0), JSON.stringify(seen));
    // Bounded: one write per interval at most (the copy took well under 5 s of intervals more).
    const writes = progressWrites.filter((pk) => pk === `TASK#${finished.id}`).length;
    assert.ok(writes >= 1 && writes <= Math.ceil((finished.durationMs ?? 0) / 300) + 1, `${writes} writes in ${finished.durationMs} ms`);
  });

  test('a copy done within the first interval writes no progress at all', async () => {
    proxy.clearFaults();
    const before = progressWrites.length;
    const finished = await run('progress/fast', 64 * 1024, 5_000, () => {});
    assert.equal(finished.status, 'SUCCEEDED');
    assert.ok((finished.durationMs ?? 0) < 5_000);
    assert.equal(progressWrites.length - before, 0);
  });

  test('progress for a task no longer RUNNING is refused and not written', async () => {
    const task = newTask({
      kind: 'manual',
      source: { registry: 'src.example', repository: 'x', tag: 'v1' },
      destination: { registry: 'dst.example', repository: 'x', tag: 'v1' },
      options: { overwrite: false, platforms: [], referrers: false },
      identity: 'refused',
    }, new Date());
    await store.create(task);
    const refused = await store.updateProgress(task.id, { bytesDone: 1, bytesTotal: 2, blobsDone: 0, blobsTotal: 1, bytesPerSecond: 1, updatedAt: new Date().toISOString() });
    assert.equal(refused, false);
    assert.equal((await store.get(task.id))?.progress, undefined);
  });
});

describe('invocations that stop before any byte moves', () => {
  test('pause twice, then count as a retryable DEADLINE_EXCEEDED instead of going round forever', async () => {
    proxy.clearFaults();
    const repository = 'progress/stalled';
    await pushImage(src, repository, { tag: 'v1', layers: 0, sharedLayers: [randomBytes(16 * MiB)] });
    const task = newTask({
      kind: 'manual',
      source: { registry: proxy.host, repository, tag: 'v1' },
      destination: { registry: dst.host, repository, tag: 'v1' },
      options: { overwrite: false, platforms: [], referrers: false },
      identity: repository,
    }, new Date());
    await store.create(task);
    const worker = createWorker({ taskStore: store, engine, logger: silentLogger, maxReceiveCount: 5 });
    const body = JSON.stringify({ taskId: task.id });
    const seen: Array<Task['resume']> = [];
    for (let receive = 1; receive <= 3; receive++) {
      // A deadline already past: the large blob stops before its first byte every time.
      assert.deepEqual(await worker([{ messageId: `m${receive}`, body, receiveCount: receive }], { deadline: Date.now() }), [`m${receive}`]);
      seen.push((await store.get(task.id))?.resume);
    }
    assert.deepEqual(seen.map((r) => r?.stalled), [1, 2, 2]);
    const record = await store.get(task.id);
    assert.equal(record?.status, 'PENDING');
    assert.equal(record?.error?.code, 'DEADLINE_EXCEEDED', JSON.stringify(record?.error));
  });
});
