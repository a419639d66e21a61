/**
 * What one replicated push costs: TASKS pushes (default 200) go webhook → rules → task → queue →
 * worker on the local stack (embedded SQS, real registries on loopback) and every DynamoDB call
 * asks for ReturnConsumedCapacity INDEXES. The table defaults to DynamoDB Local because it
 * reports each index's write units as DynamoDB does; dynalite (`--dynamodb dynalite`) counts the
 * table only. Lambda GB-s are the measured handler durations × the memory serverless.yml gives
 * each function.
 *
 *   npm run bench:capacity -- --tasks 200 [--dynamodb dynamodb-local|dynalite]
 *
 * Prints one JSON line.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { parse as parseYaml } from 'yaml';
import { z } from 'zod';
import { createApiApp } from '../../functions/api/app.ts';
import { createWebhookApp } from '../../functions/webhook/app.ts';
import { createSqsHandler } from '../../functions/worker/sqs-handler.ts';
import { silentLogger } from '../../shared/log.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { RegistryDirectory } from '../../shared/oci/registry-directory.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbRuleStore } from '../../shared/rules/dynamodb-rule-store.ts';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { DynamoDbSubscriptionStore } from '../../shared/subscriptions/dynamodb-subscription-store.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';
import { DynamoDbExecutionStore } from '../../shared/executions/dynamodb-execution-store.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { startLocalAws, type DynamoDbEngine } from '../support/aws.ts';
import { closeRegistryClients, pushImage } from '../support/images.ts';
import { startRegistry } from '../support/registry.ts';
import { meterCapacity } from './capacity-meter.ts';

const { values } = parseArgs({ options: { tasks: { type: 'string', default: '200' }, dynamodb: { type: 'string', default: 'dynamodb-local' } } });
const tasks = Number(values.tasks);
const engine = z.enum(['dynamodb-local', 'dynalite']).parse(values.dynamodb) satisfies DynamoDbEngine;
if (!Number.isInteger(tasks) || tasks < 1) throw new Error('--tasks must be a positive integer');

const TOKEN = 'Bearer capacity-bench';
const API_KEY = 'capacity-bench-api-key-0123';

const Memory = z.looseObject({ functions: z.record(z.string(), z.looseObject({ memorySize: z.number().int() })) });
// CloudFormation tags (!Ref, !GetAtt) elsewhere in the file mean nothing here: no warnings for them.
const memory = Memory.parse(parseYaml(await readFile(new URL('../../serverless.yml', import.meta.url), 'utf8'), { logLevel: 'error' })).functions;
const gb = (name: string) => memory[name]!.memorySize / 1024;

const [src, dst] = await Promise.all([startRegistry({ name: 'capacity-src' }), startRegistry({ name: 'capacity-dst' })]);
const aws = await startLocalAws({ dynamodb: engine, visibilityTimeoutSeconds: 60 });
const meter = meterCapacity(aws.clients.dynamodb);
const logger = silentLogger;
const taskStore = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 30 });
const ruleStore = new DynamoDbRuleStore(aws.clients.dynamodb, aws.tables.rules);
const subscriptionStore = new DynamoDbSubscriptionStore(aws.clients.dynamodb, aws.tables.rules);
const queue = new SqsQueue(aws.clients.sqs, aws.queueUrl, logger);
const pool = new RegistryPool({ directory: new RegistryDirectory({}), logger });
const engineOci = new CopyEngine({ pool, logger });
const executionStore = new DynamoDbExecutionStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 30 });
const deps = { taskStore, queue, logger, ruleStore, subscriptionStore, executionStore, pool };
const webhook = createWebhookApp({ ...deps, sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } }, ruleLookup: createRuleLookup(ruleStore) });
const api = createApiApp({ ...deps, apiKeys: [API_KEY] });
const handler = createSqsHandler(createWorker({ taskStore, engine: engineOci, logger, queue, maxReceiveCount: 5 }));

try {
  const rule = await api.request('/rules', {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'bench', source: { registry: src.host, namespace: 'bench' }, destinations: [{ registry: dst.host, namespace: 'mirror' }] }),
  });
  if (rule.status !== 201) throw new Error(`rule not created: ${rule.status} ${await rule.text()}`);
  const pushed = [];
  for (let i = 0; i < tasks; i++) pushed.push(await pushImage(src, `bench/app${i}`, { tag: 'v1', seed: `capacity-${i}` }));
  meter.reset();

  let webhookMs = 0;
  const ids: string[] = [];
  for (let i = 0; i < tasks; i++) {
    const image = pushed[i]!;
    const body = JSON.stringify({ events: [{ id: `capacity-${i}`, timestamp: new Date().toISOString(), action: 'push', target: { mediaType: image.mediaType, digest: image.digest, size: image.size, repository: `bench/app${i}`, tag: 'v1' }, request: { host: src.host } }] });
    const started = performance.now();
    const response = await webhook.request('/webhooks/distribution', { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'application/json' }, body });
    webhookMs += performance.now() - started;
    const answer = (await response.json()) as { tasks: Array<{ id: string }> };
    if (response.status !== 202 || answer.tasks.length !== 1) throw new Error(`delivery ${i}: ${response.status} ${JSON.stringify(answer)}`);
    ids.push(answer.tasks[0]!.id);
  }

  let workerMs = 0;
  let done = 0;
  while (done < tasks) {
    const { Messages: messages = [] } = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
    if (messages.length === 0) {
      await new Promise((r) => setTimeout(r, 50));
      continue;
    }
    const event = { Records: messages.map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1' } })) };
    const started = performance.now();
    const { batchItemFailures } = await handler(event, { getRemainingTimeInMillis: () => 60_000 });
    workerMs += performance.now() - started;
    const failed = new Set(batchItemFailures.map((f) => f.itemIdentifier));
    const ok = messages.filter((m) => !failed.has(m.MessageId!));
    if (ok.length > 0) await aws.clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: aws.queueUrl, Entries: ok.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
    done += ok.length;
  }
  const used = meter.snapshot();

  const statuses: Record<string, number> = {};
  for (const id of ids) {
    const status = (await taskStore.get(id))?.status ?? 'MISSING';
    statuses[status] = (statuses[status] ?? 0) + 1;
  }
  const round = (n: number) => Math.round(n * 1000) / 1000;
  console.log(JSON.stringify({
    tasks,
    writeUnitsPerTask: round(used.write / tasks),
    readUnitsPerTask: round(used.read / tasks),
    lambdaGbSecondsPerTask: round(((webhookMs / 1000) * gb('webhook') + (workerMs / 1000) * gb('worker')) / tasks),
    dynamodb: engine,
    statuses,
    writeUnitsByCall: Object.fromEntries(Object.entries(used.writeByCall).map(([k, v]) => [k, round(v / tasks)])),
    indexWriteUnitsPerTask: Object.fromEntries(Object.entries(used.writeByIndex).map(([k, v]) => [k, round(v / tasks)])),
    handlerMsPerTask: { webhook: round(webhookMs / tasks), worker: round(workerMs / tasks) },
  }));
} finally {
  await engineOci.close();
  await aws.close();
  await Promise.all([src.close(), dst.close()]);
  await closeRegistryClients();
}
