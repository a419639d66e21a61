import assert from 'node:assert/strict';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../shared/log.ts';
import { SqsQueue } from '../../../shared/queue/sqs-queue.ts';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { enqueueTasks, sweepStalePending } from '../../../shared/tasks/enqueue.ts';
import { newTask, type NewTask } from '../../../shared/tasks/task.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

let aws: LocalAws;
let store: DynamoDbTaskStore;

const input = (repository: string, identity = 'event:1'): NewTask => ({
  kind: 'push',
  ruleId: 'rule-1',
  source: { registry: 'src.example', repository, tag: 'v1' },
  destination: { registry: 'dst.example', repository, tag: 'v1' },
  options: { overwrite: false, platforms: [], referrers: true },
  identity,
});

for (const engine of ['dynalite', 'dynamodb-local'] as const) {
  describe(`DynamoDbTaskStore on ${engine}`, () => {
    before(async () => {
      aws = await startLocalAws({ dynamodb: engine });
      store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 7 });
    });
    after(() => aws?.close());

    test('the same work twice is one record', async () => {
      const task = newTask(input('same'), new Date());
      assert.equal(await store.create(task), 'created');
      assert.equal(await store.create({ ...task, createdAt: new Date().toISOString() }), 'exists');
      assert.equal(newTask(input('same', 'event:2'), new Date()).id === task.id, false, 'another event is other work');
    });

    test('a claim holds the task for its lease; a dead worker\'s task is claimed again after it; a finished one never', async () => {
      const task = newTask(input('lease'), new Date('2026-11-22T10:00:00Z'));
      await store.create(task);
      const t0 = new Date('2026-11-22T10:00:01Z');
      const first = await store.claim(task.id, t0, 60_000);
      assert.equal(first.claimed && first.task.attempts, 1);
      const during = await store.claim(task.id, new Date(t0.getTime() + 30_000), 60_000);
      assert.deepEqual([during.claimed, !during.claimed && during.why], [false, 'running']);
      const afterLease = await store.claim(task.id, new Date(t0.getTime() + 61_000), 60_000);
      assert.equal(afterLease.claimed && afterLease.task.attempts, 2);
      assert.ok(afterLease.claimed);
      await store.finish(task.id, { status: 'FAILED', error: { code: 'X', message: 'boom' }, startedAt: afterLease.task.startedAt! }, new Date(t0.getTime() + 62_000));
      const finished = await store.claim(task.id, new Date(t0.getTime() + 999_000), 60_000);
      assert.deepEqual([finished.claimed, !finished.claimed && finished.why], [false, 'finished']);
      const record = await store.get(task.id);
      assert.equal(record?.status, 'FAILED');
      assert.equal(record?.durationMs, 1_000, 'the duration of the last attempt');
      assert.deepEqual(record?.error, { code: 'X', message: 'boom' });
    });

    test('a tag head only moves forward in push time', async () => {
      assert.equal(await store.advanceTagHead('dst.example/app:v1', '2026-11-22T10:00:02.000Z', 'b'), true);
      assert.equal(await store.advanceTagHead('dst.example/app:v1', '2026-11-22T10:00:01.000Z', 'a'), false);
      assert.equal(await store.advanceTagHead('dst.example/app:v1', '2026-11-22T10:00:02.000Z', 'b'), true, 'the same push again (a retry) may write');
      assert.equal(await store.advanceTagHead('dst.example/app:v1', '2026-11-22T10:00:03.000Z', 'c'), true);
    });

    test('a task whose message was never sent is found by the sweep and sent once', async () => {
      const queue = new SqsQueue(aws.clients.sqs, aws.queueUrl, silentLogger);
      const orphan = newTask(input('orphan'), new Date(Date.now() - 120_000));
      await store.create(orphan);
      const [queued] = await enqueueTasks({ taskStore: store, queue, logger: silentLogger }, [input('queued')]);

      const swept = await sweepStalePending({ taskStore: store, queue, logger: silentLogger }, { olderThanMs: 60_000, limit: 100 });
      const again = await sweepStalePending({ taskStore: store, queue, logger: silentLogger }, { olderThanMs: 60_000, limit: 100 });

      assert.deepEqual(swept, { resent: 1, failed: 0 });
      assert.deepEqual(again, { resent: 0, failed: 0 });
      const received = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      assert.deepEqual((received.Messages ?? []).map((m) => JSON.parse(m.Body!).taskId).sort(), [orphan.id, queued!.id].sort());
    });
  });
}
