/**
 * A burst of pushes on the local stack: PUSHES distinct pushes (default 10,000) are delivered to
 * the webhook function (its own process, embedded DynamoDB and SQS in another, as in
 * webhook-throughput.ts) by CONCURRENCY clients at once, then DUPLICATES of them (default 1,000)
 * are delivered again. Every push must become exactly one task record and one message, and every
 * delivery must be answered within 1 s.
 *
 *   npm run bench:burst -- [--pushes 10000] [--concurrency 50] [--duplicates 1000]
 *
 * Prints one JSON line.
 */
import { GetQueueAttributesCommand, GetQueueUrlCommand } from '@aws-sdk/client-sqs';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { createAwsClients } from '../../infra/aws/clients.ts';
import { TASKS_TABLE, tableName } from '../../infra/aws/tables.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';

const { values } = parseArgs({ options: { pushes: { type: 'string', default: '10000' }, concurrency: { type: 'string', default: '50' }, duplicates: { type: 'string', default: '1000' } } });
const pushes = Number(values.pushes);
const concurrency = Number(values.concurrency);
const duplicates = Math.min(Number(values.duplicates), pushes);
const RULES = 100;

function start(script: string, args: string[]): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, line };
}

const body = (n: number) => JSON.stringify({ events: [{
  id: `burst-${n}`,
  timestamp: new Date(Date.UTC(2026, 11, 1) + n).toISOString(),
  action: 'push',
  target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${n.toString(16).padStart(64, '0')}`, size: 1234, repository: `ns-${n % RULES}/app`, tag: `v1.0.${n}` },
  request: { host: 'registry.bench.example' },
}] });

const storage = start('./storage-server.ts', []);
const endpointsLine = await storage.line;
const server = start('./webhook-server.ts', [String(RULES), endpointsLine]);
const url = `${await server.line}/webhooks/distribution`;

try {
  const latencies: number[] = [];
  const statuses: Record<string, number> = {};
  const created = new Set<string>();
  let createdAgain = 0;
  const deliver = async (n: number, duplicate: boolean) => {
    const started = performance.now();
    const response = await fetch(url, { method: 'POST', headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' }, body: body(n) });
    const answer = (await response.json()) as { tasks?: Array<{ id: string; created: boolean }> };
    latencies.push(performance.now() - started);
    statuses[response.status] = (statuses[response.status] ?? 0) + 1;
    for (const task of answer.tasks ?? []) {
      if (!task.created) continue;
      if (duplicate) createdAgain++;
      else created.add(task.id);
    }
  };
  const run = async (count: number, duplicate: boolean) => {
    let next = 0;
    await Promise.all(Array.from({ length: concurrency }, async () => {
      while (next < count) await deliver(next++, duplicate);
    }));
  };
  const started = performance.now();
  await run(pushes, false);
  const burstSeconds = (performance.now() - started) / 1000;
  await run(duplicates, true);

  const endpoints = JSON.parse(endpointsLine) as { dynamodb: string; sqs: string };
  const clients = createAwsClients({ region: 'us-east-1', dynamodbEndpoint: endpoints.dynamodb, sqsEndpoint: endpoints.sqs });
  const store = new DynamoDbTaskStore({ client: clients.dynamodb, tableName: tableName('bench', TASKS_TABLE), retentionDays: 1 });
  let records = 0;
  let cursor: string | undefined;
  do {
    const page = await store.list({}, 200, cursor);
    records += page.items.length;
    cursor = page.cursor;
  } while (cursor);
  const { QueueUrl: queueUrl } = await clients.sqs.send(new GetQueueUrlCommand({ QueueName: 'bench-tasks' }));
  const { Attributes } = await clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  clients.dynamodb.destroy();
  clients.sqs.destroy();

  latencies.sort((a, b) => a - b);
  const at = (q: number) => Math.round(latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))]!);
  console.log(JSON.stringify({
    pushes,
    duplicates,
    concurrency,
    deliveries: latencies.length,
    statuses,
    tasksCreated: created.size,
    tasksCreatedByDuplicates: createdAgain,
    taskRecords: records,
    messages: Number(Attributes?.ApproximateNumberOfMessages),
    answeredWithin1s: latencies.filter((ms) => ms <= 1000).length,
    latencyMs: { p50: at(0.5), p99: at(0.99), max: Math.round(latencies[latencies.length - 1]!) },
    pushesPerSecond: Math.round(pushes / burstSeconds),
  }));
} finally {
  server.child.kill('SIGTERM');
  storage.child.kill('SIGTERM');
}
