import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamoDbLinkStore } from '../../../shared/links/dynamodb-link-store.ts';
import { createLogger } from '../../../shared/log.ts';
import { SqsQueue } from '../../../shared/queue/sqs-queue.ts';
import { DynamoDbTaskStore } from '../../../shared/tasks/dynamodb-task-store.ts';
import { enqueueTasks } from '../../../shared/tasks/enqueue.ts';
import type { Task } from '../../../shared/tasks/task.ts';
import { startLocalAws, TEST_REGION, type LocalAws } from '../../support/aws.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startRegistries, type TestRegistry } from '../../support/registry.ts';
import { forkWorkerProcess, type WorkerProcess } from '../../support/worker-process.ts';

// Two worker OS processes on one link: nothing in memory is shared, only the embedded DynamoDB
// table and SQS queue this process started (loopback endpoints handed to each child). A small cap
// and small blobs keep it to seconds.

const MiB = 1024 * 1024;
const CAP = 4 * MiB;
const LAYER = 2 * MiB;
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
      region: TEST_REGION,
      dynamodbEndpoint: aws.dynamodbEndpoint,
      sqsEndpoint: aws.sqsEndpoint,
      tasksTable: aws.tables.tasks,
      rulesTable: aws.tables.rules,
      queueUrl: aws.queueUrl,
      capacity: 3,
      queuedDelaySeconds: 1,
      renewMs: 250,
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
    assert.equal(tasks.filter((t) => t.queuedAt !== undefined).length, 2, 'the fifth and sixth waited QUEUED');
  });

  test('both processes together held the cap while the first four ran', () => {
    // The link's bytes per repository over time: at each report, the latest count of every process, summed.
    const times = [...new Set([...reports.values()].flat().map((r) => r.at))].sort((a, b) => a - b);
    const movedAt = (at: number, repository: string) => [...reports.values()].reduce((sum, list) => sum + (list.filter((r) => r.at <= at).at(-1)?.moved[repository] ?? 0), 0);
    for (const [name, list] of reports) assert.ok(Object.keys(list.at(-1)!.moved).length > 0, `process ${name} moved blob bytes`);
    const four = tasks.filter((t) => t.queuedAt === undefined).map((t) => t.destination.repository);
    // The window in which all four were moving bytes: every one started, none done.
    const from = times.find((at) => four.every((r) => movedAt(at, r) > 0));
    const to = times.filter((at) => from !== undefined && at > from && four.every((r) => movedAt(at, r) < LAYER)).at(-1);
    assert.ok(from !== undefined && to !== undefined && to - from >= 500, `a window of four running: ${from}..${to}`);
    const bytes = four.reduce((sum, r) => sum + movedAt(to, r) - movedAt(from, r), 0);
    const rate = bytes / ((to - from) / 1000);
    const byProcess = new Set(four.map((r) => started.get(tasks.find((t) => t.destination.repository === r)!.id)));
    assert.equal(byProcess.size, 2, 'the four ran on both processes');
    assert.ok(rate <= CAP * 1.1, `${Math.round(rate)} B/s across both processes, against a cap of ${CAP}`);
    assert.ok(rate >= CAP * 0.7, `${Math.round(rate)} B/s: the cap was shared, not starved`);
  });
});
