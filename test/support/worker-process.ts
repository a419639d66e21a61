/**
 * A worker in an OS process of its own, for tests and benchmarks of what separate processes share
 * through the table and the queue alone (a link's cap and slots): forked by `forkWorkerProcess`,
 * it polls the parent's embedded SQS queue and works tasks against its embedded DynamoDB tables
 * (explicit loopback endpoints and dummy credentials), and reports to the parent over IPC: the
 * blob bytes it moved per destination repository (cumulative, every REPORT_MS) and its log lines.
 */
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { z } from 'zod';
import { createAwsClients, LOCAL_CREDENTIALS } from '../../infra/aws/clients.ts';
import { DynamoDbLinkSlots } from '../../shared/links/dynamodb-link-slots.ts';
import { DynamoDbLinkStore } from '../../shared/links/dynamodb-link-store.ts';
import { createLinkGate } from '../../shared/links/link-gate.ts';
import { createLogger } from '../../shared/log.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { TEST_REGION, type LocalAws } from './aws.ts';
import { startPollingWorker } from './polling-worker.ts';

const REPORT_MS = 100;

export const WorkerProcessConfig = z.strictObject({
  name: z.string(),
  region: z.string(),
  dynamodbEndpoint: z.string().url(),
  sqsEndpoint: z.string().url(),
  tasksTable: z.string(),
  rulesTable: z.string(),
  queueUrl: z.string().url(),
  /** Messages worked at once. */
  capacity: z.number().int().positive(),
  queuedDelaySeconds: z.number().int().nonnegative(),
  renewMs: z.number().int().positive().optional(),
  /** Log lines whose message matches this are sent to the parent. */
  logPattern: z.string(),
});
export type WorkerProcessConfig = z.infer<typeof WorkerProcessConfig>;

export type WorkerProcessReport =
  | { kind: 'ready'; pid: number }
  | { kind: 'bytes'; at: number; moved: Record<string, number> }
  | { kind: 'log'; line: string };

export interface WorkerProcess {
  readonly pid: number;
  /** Stops polling, lets the tasks in hand finish, and waits for the process to exit. */
  stop(): Promise<void>;
}

/** Forks a worker process and resolves once it polls. */
/** Where a forked worker finds the parent's embedded stack (test/support/aws.ts): its endpoints, tables and queue. */
export function embeddedStackOf(aws: Pick<LocalAws, 'dynamodbEndpoint' | 'sqsEndpoint' | 'tables' | 'queueUrl'>): Pick<WorkerProcessConfig, 'region' | 'dynamodbEndpoint' | 'sqsEndpoint' | 'tasksTable' | 'rulesTable' | 'queueUrl'> {
  return { region: TEST_REGION, dynamodbEndpoint: aws.dynamodbEndpoint, sqsEndpoint: aws.sqsEndpoint, tasksTable: aws.tables.tasks, rulesTable: aws.tables.rules, queueUrl: aws.queueUrl };
}

export async function forkWorkerProcess(config: WorkerProcessConfig, onReport: (report: WorkerProcessReport) => void): Promise<WorkerProcess> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [JSON.stringify(config)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  child.on('message', (message) => onReport(message as WorkerProcessReport));
  await new Promise<void>((resolve, reject) => {
    child.on('message', (message) => (message as WorkerProcessReport).kind === 'ready' && resolve());
    void exited.then((code) => reject(new Error(`worker process ${config.name} exited with ${code} before it was ready`)));
  });
  return {
    pid: child.pid!,
    async stop() {
      if (child.exitCode === null) child.send('stop');
      const code = await exited;
      if (code !== 0) throw new Error(`worker process ${config.name} exited with ${code}`);
    },
  };
}

async function main(): Promise<void> {
  const config = WorkerProcessConfig.parse(JSON.parse(process.argv[2] ?? '{}'));
  const send = (report: WorkerProcessReport) => process.send?.(report);
  const pattern = new RegExp(config.logPattern);
  const logger = createLogger({ level: 'debug', fields: { worker: config.name, pid: process.pid }, sink: (line) => pattern.test(line) && send({ kind: 'log', line }) });
  const silent = createLogger({ sink: () => {} });
  const clients = createAwsClients({ region: config.region, dynamodbEndpoint: config.dynamodbEndpoint, sqsEndpoint: config.sqsEndpoint, credentials: LOCAL_CREDENTIALS });
  const moved = new Map<string, number>();
  class CountingEngine extends CopyEngine {
    override copyImage(...[source, destination, options]: Parameters<CopyEngine['copyImage']>) {
      return super.copyImage(source, destination, { ...options, onBytes: (n) => moved.set(destination.repository, (moved.get(destination.repository) ?? 0) + n) });
    }
  }
  const engine = new CountingEngine({ pool: new RegistryPool({ logger: silent }), logger: silent });
  const store = new DynamoDbTaskStore({ client: clients.dynamodb, tableName: config.tasksTable, retentionDays: 1 });
  const gate = createLinkGate({
    links: new DynamoDbLinkStore(clients.dynamodb, config.rulesTable),
    slots: new DynamoDbLinkSlots({ client: clients.dynamodb, tableName: config.tasksTable }),
    logger,
    queuedDelaySeconds: config.queuedDelaySeconds,
    ...(config.renewMs ? { renewMs: config.renewMs } : {}),
  });
  const worker = createWorker({ taskStore: store, engine, logger, queue: new SqsQueue(clients.sqs, config.queueUrl, silent), maxReceiveCount: 5, links: gate });
  const polling = startPollingWorker(clients.sqs, config.queueUrl, worker, config.capacity);
  const reporter = setInterval(() => send({ kind: 'bytes', at: Date.now(), moved: Object.fromEntries(moved) }), REPORT_MS);
  process.on('message', (message) => {
    if (message !== 'stop') return;
    void (async () => {
      await polling.stop();
      clearInterval(reporter);
      await engine.close();
      clients.dynamodb.destroy();
      clients.sqs.destroy();
      // The last count, then out: exit once it has been handed to the channel.
      process.send!({ kind: 'bytes', at: Date.now(), moved: Object.fromEntries(moved) } satisfies WorkerProcessReport, () => process.exit(0));
    })();
  });
  send({ kind: 'ready', pid: process.pid });
}

if (process.argv[1] === fileURLToPath(import.meta.url)) await main();
