/**
 * The webhook function served locally for the throughput benchmark: embedded DynamoDB and SQS,
 * RULES rules on one source registry, the production rule cache. Prints its URL, then serves
 * until killed. Run by test/bench/webhook-throughput.ts in a process of its own, apart from the
 * load generator and from the storage (as Lambda is apart from DynamoDB and SQS).
 */
import { serve } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createWebhookApp } from '../../functions/webhook/app.ts';
import { createAwsClients } from '../../infra/aws/clients.ts';
import { ensureQueues, ensureTables } from '../../infra/aws/provision.ts';
import { RULES_TABLE, TASKS_TABLE, tableName } from '../../infra/aws/tables.ts';
import { silentLogger } from '../../shared/log.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbRuleStore } from '../../shared/rules/dynamodb-rule-store.ts';
import { Rule } from '../../shared/rules/rule.ts';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';

export const BENCH_REGISTRY = 'registry.bench.example';
export const BENCH_TOKEN = 'Bearer bench-token';
const RULES = Number(process.argv[2] ?? 1000);
const endpoints = JSON.parse(process.argv[3] ?? '{}') as { dynamodb: string; sqs: string };

const clients = createAwsClients({ region: 'us-east-1', dynamodbEndpoint: endpoints.dynamodb, sqsEndpoint: endpoints.sqs });
await ensureTables(clients.dynamodb, 'bench');
const { queueUrl } = await ensureQueues(clients.sqs, 'bench', { visibilityTimeoutSeconds: 60, maxReceiveCount: 5 });
const rulesStore = new DynamoDbRuleStore(clients.dynamodb, tableName('bench', RULES_TABLE));
const at = new Date().toISOString();
for (let i = 0; i < RULES; i += 25) {
  await Promise.all(Array.from({ length: Math.min(25, RULES - i) }, (_, k) => rulesStore.put(Rule.parse({
    id: `rule-${String(i + k).padStart(4, '0')}`,
    name: `bench ${i + k}`,
    enabled: true,
    source: { registry: BENCH_REGISTRY, namespace: `ns-${i + k}` },
    tagPattern: 'v[0-9]+\\.[0-9]+\\.[0-9]+',
    destinations: [{ registry: 'mirror.bench.example', namespace: `mirror-${i + k}` }],
    overwrite: false,
    platforms: [],
    referrers: true,
    createdAt: at,
    updatedAt: at,
  }))));
}
const app = createWebhookApp({
  taskStore: new DynamoDbTaskStore({ client: clients.dynamodb, tableName: tableName('bench', TASKS_TABLE), retentionDays: 1 }),
  queue: new SqsQueue(clients.sqs, queueUrl, silentLogger),
  logger: silentLogger,
  ruleLookup: createRuleLookup(rulesStore),
  sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: BENCH_TOKEN }, registry: BENCH_REGISTRY } },
});
serve({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' }, (info: AddressInfo) => process.stdout.write(`http://127.0.0.1:${info.port}\n`));
process.on('SIGTERM', () => process.exit(0));
