import assert from 'node:assert/strict';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../shared/log.ts';
import { SqsQueue } from '../../../shared/queue/sqs-queue.ts';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { DEFAULT_RESEND_AFTER_MS, enqueueTasks, sweepStalePending } from '../../../shared/tasks/enqueue.ts';
import { newTask, type NewTask } from '../../../shared/tasks/task.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

const input = (repository: string, identity: string): NewTask => ({
  kind: 'push',
  ruleId: 'rule-1',
  source: { registry: 'src.example', repository, tag: 'v1' },
  destination: { registry: 'dst.example', repository, tag: 'v1' },
  options: { overwrite: true, platforms: [], referrers: true },
  identity,
});

async function queued(aws: LocalAws): Promise<number> {
  const { Attributes } = await aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: aws.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(Attributes?.ApproximateNumberOfMessages);
}

for (const engine of ['dynalite', 'dynamodb-local'] as const) {
  describe(`the sweep on ${engine}`, () => {
    let aws: LocalAws;
    let store: DynamoDbTaskStore;
    let queue: SqsQueue;
    const now = new Date('2026-11-22T12:00:00.000Z');

    before(async () => {
      aws = await startLocalAws({ dynamodb: engine });
      store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 7 });
      queue = new SqsQueue(aws.clients.sqs, aws.queueUrl, silentLogger);
    });
    after(() => aws?.close());

    test('finds the task whose message was never sent behind 600 sent PENDING tasks, and sends it once', async () => {
      // The stranded task is the newest: the old sweep read 500 PENDING tasks, oldest first, and filtered after.
      let created = 0;
      for (let chunk = 0; chunk < 600; chunk += 50) {
        const backlog = Array.from({ length: 50 }, (_, i) => input(`backlog/app${chunk + i}`, `event:${chunk + i}`));
        const sent = await enqueueTasks({ taskStore: store, queue, logger: silentLogger, now: () => new Date(now.getTime() - 600_000) }, backlog);
        created += sent.filter((t) => t.created).length;
      }
      assert.equal(created, 600);
      const stranded = newTask(input('stranded/app', 'event:stranded'), new Date(now.getTime() - 120_000));
      assert.equal(await store.create(stranded), 'created');
      assert.equal(await queued(aws), 600);

      const deps = { taskStore: store, queue, logger: silentLogger, now: () => now };
      const swept = await sweepStalePending(deps, { olderThanMs: 60_000 });
      const again = await sweepStalePending(deps, { olderThanMs: 60_000 });

      assert.deepEqual(swept, { resent: 1, failed: 0 });
      assert.deepEqual(again, { resent: 0, failed: 0 });
      assert.equal(await queued(aws), 601);
      assert.equal((await store.get(stranded.id))?.enqueuedAt, now.toISOString());
    });

    test('re-sends a PENDING task whose message is older than the queue keeps messages, not one sent since', async () => {
      const expired = newTask(input('expired/app', 'event:expired'), new Date(now.getTime() - 15 * 86_400_000));
      await store.create(expired);
      await store.markEnqueued([expired.id], new Date(now.getTime() - DEFAULT_RESEND_AFTER_MS - 1_000));
      const before = await queued(aws);

      const deps = { taskStore: store, queue, logger: silentLogger, now: () => now };
      const swept = await sweepStalePending(deps, { olderThanMs: 60_000 });
      const again = await sweepStalePending(deps, { olderThanMs: 60_000 });

      assert.deepEqual(swept, { resent: 1, failed: 0 });
      assert.deepEqual(again, { resent: 0, failed: 0 });
      assert.equal(await queued(aws), before + 1);
    });

    test('a claimed task is no longer waiting; released for a retry, it waits again but keeps its message', async () => {
      const task = newTask(input('claimed/app', 'event:claimed'), new Date(now.getTime() - 300_000));
      await store.create(task);
      await store.markEnqueued([task.id], new Date(now.getTime() - 290_000));
      const waitingIds = async () => {
        const ids: string[] = [];
        let cursor: string | undefined;
        do {
          const page = await store.listWaiting(now, 200, cursor);
          ids.push(...page.items.map((t) => t.id));
          cursor = page.cursor;
        } while (cursor);
        return ids;
      };
      assert.ok((await waitingIds()).includes(task.id));
      await store.claim(task.id, new Date(now.getTime() - 200_000), 60_000);
      assert.ok(!(await waitingIds()).includes(task.id));
      await store.release(task.id, { code: 'X', message: 'x' }, new Date(now.getTime() - 100_000));
      assert.ok((await waitingIds()).includes(task.id));
      assert.deepEqual(await sweepStalePending({ taskStore: store, queue, logger: silentLogger, now: () => now }, { olderThanMs: 60_000 }), { resent: 0, failed: 0 });
    });
  });
}

