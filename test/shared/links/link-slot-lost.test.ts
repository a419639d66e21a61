import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { DynamoDbLinkSlots } from '../../../shared/links/dynamodb-link-slots.ts';
import { createLinkGate } from '../../../shared/links/link-gate.ts';
import { LEASE_MS } from '../../../shared/links/link-slots.ts';
import type { Link } from '../../../shared/links/link.ts';
import { createLogger } from '../../../shared/log.ts';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { newTask, type Task } from '../../../shared/tasks/task.ts';
import { createWorker } from '../../../shared/tasks/worker.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';
import { closeRegistryClients, hasBlob, pushImage } from '../../support/images.ts';
import { startRegistries, type TestRegistry } from '../../support/registry.ts';
import { createEngine } from '../oci/fixtures.ts';

// A task whose link slot is lost mid-blob (its lease ran out: a starved worker) keeps what the
// destination committed, as at a deadline: real registries, the real SDK on dynalite, the slot
// state's clock moved past the lease while the blob streams at the link's cap.

const MiB = 1024 * 1024;

describe('a lost link slot during a resumable upload', () => {
  let aws: LocalAws;
  let src: TestRegistry;
  let dst: TestRegistry;
  let store: DynamoDbTaskStore;
  let engine: CopyEngine;
  let shift = 0;
  const logs: Array<{ message: string; offset?: number; digest?: string }> = [];

  before(async () => {
    [aws, [src, dst]] = await Promise.all([startLocalAws(), startRegistries(2, { name: 'slot-lost' }) as Promise<[TestRegistry, TestRegistry]>]);
    store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 1 });
    engine = createEngine({}, { logger: createLogger({ level: 'debug', sink: (line) => logs.push(JSON.parse(line) as (typeof logs)[number]) }) });
  });

  after(async () => {
    await engine?.close();
    await closeRegistryClients();
    await Promise.all([aws?.close(), src?.close(), dst?.close()]);
  });

  test('the task pauses with the committed offset saved, and its next run goes on from there', async () => {
    const layer = randomBytes(20 * MiB);
    await pushImage(src, 'lost/app', { tag: 'v1', layers: 0, sharedLayers: [layer] });
    const at = new Date().toISOString();
    const link: Link = { id: 'link-lost', name: 'lost', type: 'accelerated', sourceRegistry: src.host, destinationRegistry: dst.host, maxBandwidth: 8 * MiB, maxConcurrentTasks: 1, enabled: true, createdAt: at, updatedAt: at };
    const logger = createLogger({ level: 'debug', sink: (line) => logs.push(JSON.parse(line) as (typeof logs)[number]) });
    const slots = new DynamoDbLinkSlots({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, now: () => Date.now() + shift });
    const gate = createLinkGate({ links: { list: async () => [link] }, slots, logger, renewMs: 100 });
    const worker = createWorker({ taskStore: store, engine, logger, maxReceiveCount: 3, links: gate, progressIntervalMs: 200 });
    const task = newTask({
      kind: 'manual',
      source: { registry: src.host, repository: 'lost/app', tag: 'v1' },
      destination: { registry: dst.host, repository: 'lost/app', tag: 'v1' },
      options: { overwrite: false, platforms: [], referrers: false },
      identity: 'lost/app',
    }, new Date());
    await store.create(task);
    const body = JSON.stringify({ taskId: task.id });

    const first = worker([{ messageId: 'm1', body, receiveCount: 1 }], { deadline: Date.now() + 120_000 });
    // About a second into the blob (8 MiB/s), the worker is "starved": its lease runs out.
    const deadline = Date.now() + 30_000;
    let running: Task | undefined;
    do {
      await new Promise((resolve) => setTimeout(resolve, 50));
      running = await store.get(task.id);
    } while (Date.now() < deadline && !((running?.progress?.bytesDone ?? 0) > 4 * MiB));
    shift = LEASE_MS + 1_000;
    assert.deepEqual(await first, ['m1'], 'without a queue to send to, the message itself comes back');

    const paused = (await store.get(task.id))!;
    assert.equal(paused.status, 'PENDING');
    assert.ok(logs.some((l) => l.message === 'link lease lost'));
    const saved = paused.resume?.blobs[0];
    assert.ok(saved !== undefined, `resume kept: ${JSON.stringify(paused.resume)} ${JSON.stringify(paused.error)}`);
    assert.ok(saved.offset > 4 * MiB && saved.offset < layer.length, `offset ${saved.offset}`);

    // The next delivery takes a slot again and goes on from the offset the destination holds.
    assert.deepEqual(await worker([{ messageId: 'm2', body, receiveCount: 2 }], { deadline: Date.now() + 120_000 }), []);
    const done = (await store.get(task.id))!;
    assert.equal(done.status, 'SUCCEEDED', JSON.stringify(done.error));
    const resumed = logs.find((l) => l.message === 'blob upload resumed');
    assert.equal(resumed?.offset, saved.offset);
    assert.equal(resumed?.digest, saved.digest);
    assert.ok(await hasBlob(dst, 'lost/app', saved.digest));
  });
});
