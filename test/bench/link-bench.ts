/**
 * A capped sync link under load (issue 13): TASKS copies of single-layer SIZE MiB images between
 * two real registries, on a link capped at CAP MiB/s with MAX running tasks, worked by WORKERS
 * independent worker instances in this process (each its own engine, gate and pacing state), or
 * with `--processes N` by N worker OS processes forked for it, all sharing one embedded DynamoDB
 * table and SQS queue. Prints one JSON line: the aggregate rate of the copies that ran together,
 * each task's rate, queue waits, and whether queued tasks started in arrival order.
 *
 *   npm run bench:link -- --cap-mibps 32 --tasks 6 --max-concurrent 4 [--size-mib 128] [--workers 2 | --processes 2]
 */
import { parseArgs } from 'node:util';
import { createLogger } from '../../shared/log.ts';
import { DynamoDbLinkSlots } from '../../shared/links/dynamodb-link-slots.ts';
import { DynamoDbLinkStore } from '../../shared/links/dynamodb-link-store.ts';
import { createLinkGate } from '../../shared/links/link-gate.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';
import { enqueueTasks } from '../../shared/tasks/enqueue.ts';
import type { Task } from '../../shared/tasks/task.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { startLocalAws } from '../support/aws.ts';
import { closeRegistryClients, pushImage } from '../support/images.ts';
import { startPollingWorker } from '../support/polling-worker.ts';
import { startRegistries } from '../support/registry.ts';
import { embeddedStackOf, forkWorkerProcess, type WorkerProcess } from '../support/worker-process.ts';

const { values } = parseArgs({ options: {
  'cap-mibps': { type: 'string', default: '32' },
  tasks: { type: 'string', default: '6' },
  'max-concurrent': { type: 'string', default: '4' },
  'size-mib': { type: 'string', default: '128' },
  workers: { type: 'string', default: '2' },
  /** Worker OS processes instead of in-process worker instances (0: none). */
  processes: { type: 'string', default: '0' },
  /** Each task's share changes and queue decisions on stderr. */
  verbose: { type: 'boolean', default: false },
} });
const MiB = 1024 * 1024;
const cap = Number(values['cap-mibps']) * MiB;
const taskCount = Number(values.tasks);
const maxConcurrent = Number(values['max-concurrent']);
const size = Number(values['size-mib']) * MiB;
const processCount = Number(values.processes);
const workerCount = processCount > 0 ? 0 : Number(values.workers);
const silent = createLogger({ sink: () => {} });
const VERBOSE = /link share|link joined|task queued|task started|task finished/;
const shares = values.verbose ? createLogger({ level: 'debug', sink: (line) => VERBOSE.test(line) && process.stderr.write(line + '\n') }) : silent;

/**
 * Counts each destination repository's blob bytes as they stream, sampled every SAMPLE_MS: the
 * rates "while four run" are measured over the window in which they all ran, from bytes moved,
 * not from whole-task times (which add manifests, HEADs and the registry's commit).
 */
const SAMPLE_MS = 250;
const moved = new Map<string, number>();
class CountingEngine extends CopyEngine {
  override copyImage(...[source, destination, options]: Parameters<CopyEngine['copyImage']>) {
    return super.copyImage(source, destination, { ...options, onBytes: (n) => moved.set(destination.repository, (moved.get(destination.repository) ?? 0) + n) });
  }
}
/** With worker processes: each one's latest cumulative counts, as it reports them every 100 ms. */
const movedByProcess = new Map<string, Record<string, number>>();
const movedNow = (): Map<string, number> => {
  const all = new Map(moved);
  for (const counts of movedByProcess.values()) for (const [repository, n] of Object.entries(counts)) all.set(repository, (all.get(repository) ?? 0) + n);
  return all;
};
const samples: Array<{ at: number; bytes: Map<string, number> }> = [];
const sampler = setInterval(() => samples.push({ at: performance.now(), bytes: movedNow() }), SAMPLE_MS);

const [aws, registries] = await Promise.all([startLocalAws(), startRegistries(2)]);
const [src, dst] = registries as [typeof registries[0], typeof registries[0]];
const engines: CopyEngine[] = [];
let children: WorkerProcess[] = [];
try {
  const store = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 1 });
  const links = new DynamoDbLinkStore(aws.clients.dynamodb, aws.tables.rules);
  const at = new Date().toISOString();
  await links.put({ id: 'bench-link', name: 'bench', type: 'accelerated', sourceRegistry: src.host, destinationRegistry: dst.host, maxBandwidth: cap, maxConcurrentTasks: maxConcurrent, enabled: true, createdAt: at, updatedAt: at });
  for (let i = 0; i < taskCount; i++) await pushImage(src, `bench/app${i}`, { tag: 'v1', layers: 1, layerSize: size });

  const workers = Array.from({ length: workerCount }, () => {
    const engine = new CountingEngine({ pool: new RegistryPool({ logger: silent }), logger: silent });
    engines.push(engine);
    const gate = createLinkGate({ links, slots: new DynamoDbLinkSlots({ client: aws.clients.dynamodb, tableName: aws.tables.tasks }), logger: shares, queuedDelaySeconds: 1 });
    const worker = createWorker({ taskStore: store, engine, logger: shares, queue: new SqsQueue(aws.clients.sqs, aws.queueUrl, silent), maxReceiveCount: 5, links: gate });
    return startPollingWorker(aws.clients.sqs, aws.queueUrl, worker, Math.ceil(taskCount / workerCount));
  });
  children = await Promise.all(Array.from({ length: processCount }, (_, i) => forkWorkerProcess({
    name: `process-${i + 1}`,
    ...embeddedStackOf(aws),
    capacity: Math.ceil(taskCount / processCount),
    queuedDelaySeconds: 1,
    logPattern: values.verbose ? VERBOSE.source : '$^',
  }, (report) => {
    if (report.kind === 'bytes') movedByProcess.set(`process-${i + 1}`, report.moved);
    if (report.kind === 'log') process.stderr.write(report.line + '\n');
  })));
  const queue = new SqsQueue(aws.clients.sqs, aws.queueUrl, silent);
  const created = [];
  // One at a time, so that arrival order is the order of creation.
  for (let i = 0; i < taskCount; i++) {
    created.push(...await enqueueTasks({ taskStore: store, queue, logger: silent }, [{
      kind: 'manual', identity: `bench-${i}`,
      source: { registry: src.host, repository: `bench/app${i}`, tag: 'v1' },
      destination: { registry: dst.host, repository: `bench/app${i}`, tag: 'v1' },
      options: { overwrite: true, platforms: [], referrers: false },
    }]));
  }
  let tasks: Task[] = [];
  const deadline = Date.now() + Math.max(120_000, (taskCount * size / cap) * 3000);
  do {
    await new Promise((resolve) => setTimeout(resolve, 500));
    tasks = (await Promise.all(created.map((c) => store.get(c.id)))).filter((t): t is Task => t !== undefined);
  } while (Date.now() < deadline && tasks.some((t) => !['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(t.status)));
  await Promise.all([...workers.map((w) => w.stop()), ...children.map((c) => c.stop())]);
  children = [];
  clearInterval(sampler);

  // The window in which every copy that ran together was moving bytes: all started, none done.
  const firstRepos = tasks.filter((t) => t.queuedAt === undefined).map((t) => t.destination.repository);
  const from = samples.findIndex((x) => firstRepos.every((r) => (x.bytes.get(r) ?? 0) > 0));
  let to = from;
  while (from >= 0 && to + 1 < samples.length && firstRepos.every((r) => (samples[to + 1]!.bytes.get(r) ?? 0) < size)) to++;
  const window = from >= 0 && to > from ? { start: samples[from]!, end: samples[to]!, seconds: (samples[to]!.at - samples[from]!.at) / 1000 } : undefined;
  const windowRates = firstRepos.map((r) => (window ? ((window.end.bytes.get(r) ?? 0) - (window.start.bytes.get(r) ?? 0)) / window.seconds : 0));
  const windowAggregate = windowRates.reduce((a, b) => a + b, 0);

  // The busiest second of the whole run (tasks joining and ending included), from the samples.
  const total = (x: (typeof samples)[number]) => [...x.bytes.values()].reduce((a, b) => a + b, 0);
  let worstSecond = 0;
  let worstAt = 0;
  const firstByte = samples.find((x) => total(x) > 0)?.at ?? 0;
  for (let i = 0; i < samples.length; i++) {
    const j = samples.findIndex((x, k) => k > i && x.at - samples[i]!.at >= 1000);
    const rate = j > i ? (total(samples[j]!) - total(samples[i]!)) / ((samples[j]!.at - samples[i]!.at) / 1000) : 0;
    if (rate > worstSecond) [worstSecond, worstAt] = [rate, samples[i]!.at - firstByte];
  }

  const rate = (t: Task) => (t.result?.bytes ?? 0) / ((t.transferMs ?? 1) / 1000);
  const spans = tasks.map((t) => ({ start: Date.parse(t.startedAt ?? ''), end: Date.parse(t.finishedAt ?? '') }));
  const together = tasks.filter((t) => t.queuedAt === undefined);
  const first = Math.min(...together.map((t) => Date.parse(t.startedAt!)));
  const last = Math.max(...together.map((t) => Date.parse(t.finishedAt!)));
  const aggregate = together.reduce((sum, t) => sum + (t.result?.bytes ?? 0), 0) / ((last - first) / 1000);
  const share = cap / Math.min(maxConcurrent, taskCount);
  const queued = tasks.filter((t) => t.queuedAt !== undefined).sort((a, b) => a.queuedAt!.localeCompare(b.queuedAt!));
  const orderHeld = queued.every((t, i) => i === 0 || queued[i - 1]!.startedAt! <= t.startedAt!);
  const round = (n: number, d = 2) => Math.round(n * 10 ** d) / 10 ** d;
  console.log(JSON.stringify({
    capMiBps: cap / MiB,
    sizeMiB: size / MiB,
    tasks: taskCount,
    maxConcurrent,
    workers: workerCount,
    processes: processCount,
    statuses: tasks.map((t) => t.status),
    concurrentCopies: together.length,
    whileAllRan: {
      seconds: round(window?.seconds ?? 0),
      aggregateMiBps: round(windowAggregate / MiB),
      aggregateVsCap: round(windowAggregate / cap, 3),
      aggregateWithin10Percent: window !== undefined && Math.abs(windowAggregate / cap - 1) <= 0.1,
      perTaskMiBps: windowRates.map((r) => round(r / MiB)),
      perTaskVsShare: windowRates.map((r) => round(r / share, 3)),
      eachWithin15Percent: window !== undefined && windowRates.every((r) => Math.abs(r / share - 1) <= 0.15),
    },
    busiestSecond: { vsCap: round(worstSecond / cap, 3), startsAtS: round(worstAt / 1000, 1) },
    wholeTasks: { aggregateMiBps: round(aggregate / MiB), aggregateVsCap: round(aggregate / cap, 3) },
    shareMiBps: round(share / MiB),
    perTask: tasks.map((t, i) => ({
      task: i,
      queued: t.queuedAt !== undefined,
      rateMiBps: round(rate(t) / MiB),
      vsShare: t.queuedAt === undefined ? round(rate(t) / share, 3) : undefined,
      transferMs: t.transferMs,
      queuedMs: t.queuedMs,
    })),
    maxRunningObserved: Math.max(...spans.map((s) => spans.filter((o) => o.start <= s.start && s.start < o.end).length)),
    queueWaitsMs: queued.map((t) => t.queuedMs),
    orderHeld,
  }));
} finally {
  clearInterval(sampler);
  await Promise.allSettled(children.map((c) => c.stop()));
  await Promise.all(engines.map((e) => e.close()));
  await closeRegistryClients();
  await Promise.all([aws.close(), ...registries.map((r) => r.close())]);
}
