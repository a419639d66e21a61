import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamoDbLinkStore } from '../../../shared/links/dynamodb-link-store.ts';
import { createLogger } from '../../../shared/log.ts';
import { SqsQueue } from '../../../shared/queue/sqs-queue.ts';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { enqueueTasks } from '../../../shared/tasks/enqueue.ts';
import type { Task } from '../../../shared/tasks/task.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startRegistries, type TestRegistry } from '../../support/registry.ts';
import { embeddedStackOf, forkWorkerProcess, type WorkerProcess } from '../../support/worker-process.ts';

// Two worker OS processes on one link: nothing in memory is shared, only the embedded DynamoDB
// table and SQS queue this process started (loopback endpoints handed to each child). A small cap
// and small blobs keep it to seconds.

const MiB = 1024 * 1024;
const CAP = 4 * MiB;
const LAYER = 4 * MiB;
const TASKS = 6;

describe('a capped link with maxConcurrentTasks 4, worked by two OS processes', () => {
  let aws: LocalAws;
  let registries: TestRegistry[];
  let processes: WorkerProcess[] = [];
  let tasks: Task[] = [];
  /** Which process started each task. */
  const started = new Map<string, string>();
  /** Per process: its cumulative blob bytes as it reported them, with the time of each report. */
  const reports = new Map<string, Array<{ at: number; moved: Record<string, number> }>>();

  before(async () => {
    [aws, registries] = await Promise.all([startLocalAws(), startRegistries(2)]);
    const [src, dst] = registries as [TestRegistry, TestRegistry];
    const store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 1 });
    const at = new Date().toISOString();
    await new DynamoDbLinkStore(aws.clients.dynamodb, aws.tables.rules).put({ id: 'link-procs', name: 'procs', type: 'accelerated', sourceRegistry: src.host, destinationRegistry: dst.host, maxBandwidth: CAP, maxConcurrentTasks: 4, enabled: true, createdAt: at, updatedAt: at });
    await Promise.all(Array.from({ length: TASKS }, (_, i) => pushImage(src, `procs${i}`, { tag: 'v1', layers: 1, layerSize: LAYER })));

    processes = await Promise.all(['one', 'two'].map((name) => forkWorkerProcess({
      name,
      ...embeddedStackOf(aws),
      capacity: 3,
      queuedDelaySeconds: 1,
      logPattern: '"task started"',
    }, (report) => {
      if (report.kind === 'log') {
        const line = JSON.parse(report.line) as { task_id: string };
        started.set(line.task_id, name);
      }
      if (report.kind === 'bytes') {
        const list = reports.get(name) ?? [];
        list.push({ at: report.at, moved: report.moved });
        reports.set(name, list);
      }
    })));
    const silent = createLogger({ sink: () => {} });
    const created = await enqueueTasks({ taskStore: store, queue: new SqsQueue(aws.clients.sqs, aws.queueUrl, silent), logger: silent }, Array.from({ length: TASKS }, (_, i) => ({
      kind: 'manual' as const,
      source: { registry: src.host, repository: `procs${i}`, tag: 'v1' },
      destination: { registry: dst.host, repository: `procs${i}`, tag: 'v1' },
      options: { overwrite: true, platforms: [], referrers: false },
      identity: `link-processes-${i}`,
    })));
    const deadline = Date.now() + 90_000;
    do {
      await new Promise((resolve) => setTimeout(resolve, 250));
      tasks = (await Promise.all(created.map((c) => store.get(c.id)))).filter((t): t is Task => t !== undefined);
    } while (Date.now() < deadline && tasks.some((t) => !['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(t.status)));
    await Promise.all(processes.map((p) => p.stop()));
    processes = [];
  });

  after(async () => {
    await Promise.allSettled(processes.map((p) => p.stop()));
    await closeRegistryClients();
    await Promise.all([aws?.close(), ...(registries ?? []).map((r) => r.close())]);
  });

  test('every task copied, and both processes worked tasks', () => {
    assert.deepEqual(tasks.map((t) => t.status), Array(TASKS).fill('SUCCEEDED'));
    assert.equal(new Set(started.values()).size, 2, `task starts by process: ${JSON.stringify([...started])}`);
  });

  test('never more than four ran at once across both processes', () => {
    const spans = tasks.map((t) => ({ start: Date.parse(t.startedAt!), end: Date.parse(t.finishedAt!) }));
    const most = Math.max(...spans.map((span) => spans.filter((s) => s.start <= span.start && span.start < s.end).length));
    assert.ok(most <= 4, `${most} ran at once`);
    assert.ok(tasks.some((t) => t.queuedAt !== undefined), 'tasks beyond four waited QUEUED');
  });

  test('both processes together held the cap: no two seconds carried more, while both moved bytes', () => {
    // The link's bytes over time, from each process's own timestamps: at each report, the latest
    // cumulative count of every process, summed. How the four's starts line up depends on the
    // machine's load, so the check is over every two-second window, not one window of four.
    const times = [...new Set([...reports.values()].flat().map((r) => r.at))].sort((a, b) => a - b);
    const countOf = (name: string, at: number) => Object.values(reports.get(name)!.filter((r) => r.at <= at).at(-1)?.moved ?? {}).reduce((a, b) => a + b, 0);
    const names = [...reports.keys()];
    assert.equal(names.length, 2);
    let worst = 0;
    let together = 0;
    for (const from of times) {
      const to = from + 2_000;
      if (to > times.at(-1)!) break;
      const moved = names.map((name) => countOf(name, to) - countOf(name, from));
      worst = Math.max(worst, moved.reduce((a, b) => a + b, 0) / 2);
      if (moved.every((n) => n > 0)) together++;
    }
    assert.ok(together > 0, 'both processes moved bytes within the same two seconds');
    // A link paced per process would carry up to twice its cap here. The margin is for reports
    // 100 ms apart and a starved worker making up its lost time (half a second at most); the
    // ±10% figure is the benchmark's (`npm run bench:link -- --processes 2`).
    assert.ok(worst <= CAP * 1.3, `${Math.round(worst)} B/s in the busiest two seconds, against a cap of ${CAP}`);
  });
});
