/**
 * The pipeline wired as in production, on real parts: embedded DynamoDB and SQS with the real
 * SDK, real registries, the webhook and API apps on real sockets, and a poller that hands SQS
 * messages to the worker the way Lambda's event source mapping does.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createLogger, type Logger } from '../../shared/log.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import type { CredentialProviders } from '../../shared/oci/credential-provider.ts';
import type { EgressPolicy } from '../../shared/oci/egress-connector.ts';
import { declareRegistries } from '../../shared/oci/egress-policy.ts';
import type { RegistryOptions } from '../../shared/oci/registry-options.ts';
import { RegistryDirectory } from '../../shared/oci/registry-directory.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import type { RetryPolicy } from '../../shared/oci/retry.ts';
import { SqsQueueDepth } from '../../shared/queue/queue-depth.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbRuleStore } from '../../shared/rules/dynamodb-rule-store.ts';
import { DynamoDbLinkSlots } from '../../shared/links/dynamodb-link-slots.ts';
import { DynamoDbLinkStore } from '../../shared/links/dynamodb-link-store.ts';
import { createLinkGate } from '../../shared/links/link-gate.ts';
import { routeOf } from '../../functions/wiring/registries.ts';
import { DynamoDbSubscriptionStore } from '../../shared/subscriptions/dynamodb-subscription-store.ts';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';
import type { RedeliveryPolicy } from '../../shared/tasks/redelivery.ts';
import { createWorker, type WorkerDeps } from '../../shared/tasks/worker.ts';
import { DynamoDbExecutionStore } from '../../shared/executions/dynamodb-execution-store.ts';
import { createConsumer } from '../../shared/intake/consumer.ts';
import { createApiApp } from '../../functions/api/app.ts';
import { createWebhookApp, type WebhookSource } from '../../functions/webhook/app.ts';
import { startLocalAws, type LocalAws } from '../support/aws.ts';

export const API_KEY = 'test-api-key-0123456789';

export interface HarnessOptions {
  sources?: Record<string, WebhookSource>;
  registries?: Record<string, RegistryOptions>;
  /**
   * Registries the service may contact besides the keys of `registries` and the sources'
   * registries, as the service's configuration declares them (issue 8: nothing else is reached).
   */
  declare?: string[];
  /** Test seams of the egress policy: a resolver and a connector (see egress-connector.ts). */
  egress?: Pick<EgressPolicy, 'resolve' | 'connector'>;
  maxReceiveCount?: number;
  visibilityTimeoutSeconds?: number;
  retryPolicy?: RetryPolicy;
  /** Port for the webhook server, when a registry must know it before the harness starts. */
  webhookPort?: number;
  /** Short-lived credentials for cloud registries (shared/cloud), as the wiring builds them. */
  credentials?: CredentialProviders;
  /** Retries hidden for a backoff (ChangeMessageVisibility); without it they return after the visibility timeout. */
  redelivery?: RedeliveryPolicy;
  /** The worker's observer of finished records (notifications, metrics). */
  onTaskFinished?: WorkerDeps['onTaskFinished'];
  /** Handles execution check messages (notifications of finished executions). */
  checkExecution?: (executionId: string) => Promise<unknown>;
}

export interface Harness {
  aws: LocalAws;
  taskStore: DynamoDbTaskStore;
  queue: SqsQueue;
  ruleStore: DynamoDbRuleStore;
  subscriptionStore: DynamoDbSubscriptionStore;
  /** Sync links (issue 13), used by the worker as in production. */
  links: DynamoDbLinkStore;
  executionStore: DynamoDbExecutionStore;
  pool: RegistryPool;
  webhookUrl: string;
  apiUrl: string;
  logs: string[];
  /** Receives and processes queue messages until the queue stays empty for `idleMs`. */
  drain(options?: { idleMs?: number; maxMs?: number }): Promise<{ processed: number; failed: number }>;
  api(method: string, path: string, body?: unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>;
  close(): Promise<void>;
}

function listen(fetch: (request: Request) => Response | Promise<Response>, port = 0): Promise<{ server: ServerType; url: string }> {
  return new Promise((resolve) => {
    const server = serve({ fetch, port, hostname: '127.0.0.1' }, (info: AddressInfo) => resolve({ server, url: `http://127.0.0.1:${info.port}` }));
  });
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const maxReceiveCount = options.maxReceiveCount ?? 3;
  const aws = await startLocalAws({ maxReceiveCount, visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? 1 });
  const logs: string[] = [];
  const logger: Logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });
  const taskStore = new DynamoDbTaskStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 30 });
  const ruleStore = new DynamoDbRuleStore(aws.clients.dynamodb, aws.tables.rules);
  const queue = new SqsQueue(aws.clients.sqs, aws.queueUrl, logger);
  const declaredHosts = Object.fromEntries((options.declare ?? []).map((host) => [host, {}]));
  const sourceRegistries = Object.values(options.sources ?? {}).flatMap((s) => (s.registry ? [s.registry] : []));
  const declared = declareRegistries({ ...declaredHosts, ...options.registries }, sourceRegistries);
  const pool = new RegistryPool({
    directory: new RegistryDirectory(options.registries ?? {}),
    logger,
    egress: { declared, ...options.egress },
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
    ...(options.credentials ? { credentials: options.credentials } : {}),
  });
  const engine = new CopyEngine({ pool, logger });
  const links = new DynamoDbLinkStore(aws.clients.dynamodb, aws.tables.rules);
  const routed = new Map<string, CopyEngine>();
  const linkSlots = new DynamoDbLinkSlots({ client: aws.clients.dynamodb, tableName: aws.tables.tasks });
  const gate = createLinkGate({
    links,
    slots: linkSlots,
    logger,
    cacheMs: 0,
    queuedDelaySeconds: 1,
    engineFor: (link) => {
      const key = JSON.stringify(routeOf(link));
      if (!routed.has(key)) routed.set(key, new CopyEngine({ pool: new RegistryPool({ directory: new RegistryDirectory(options.registries ?? {}), logger, egress: { declared, ...options.egress }, route: routeOf(link), ...(options.credentials ? { credentials: options.credentials } : {}) }), logger }));
      return routed.get(key)!;
    },
  });
  const subscriptionStore = new DynamoDbSubscriptionStore(aws.clients.dynamodb, aws.tables.rules);
  const executionStore = new DynamoDbExecutionStore({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, retentionDays: 30 });
  const deps = { taskStore, queue, logger, ruleStore, subscriptionStore, executionStore, pool, links };
  // Without a redelivery policy, retries return after the visibility timeout: the queue the worker
  // gets then only sends (queued tasks on a link ask again through it), it changes no visibility.
  const workerQueue = options.redelivery ? queue : { send: queue.send.bind(queue) };
  // Copies, and the listing steps of rule runs, as the worker function handles them.
  const worker = createConsumer(
    createWorker({
      taskStore, engine, logger, maxReceiveCount, links: gate, queue: workerQueue,
      ...(options.redelivery ? { redelivery: options.redelivery } : {}),
      ...(options.onTaskFinished ? { onTaskFinished: options.onTaskFinished } : {}),
    }),
    { ...deps, maxReceiveCount },
    options.checkExecution,
  );
  const webhook = await listen(createWebhookApp({ ...deps, sources: options.sources ?? {}, ruleLookup: createRuleLookup(ruleStore, 0) }).fetch, options.webhookPort);
  const api = await listen(createApiApp({ ...deps, linkSlots, apiKeys: [API_KEY], queueDepth: new SqsQueueDepth(aws.clients.sqs, aws.queueUrl) }).fetch);

  const drain: Harness['drain'] = async ({ idleMs = 1500, maxMs = 30_000 } = {}) => {
    let processed = 0;
    let failed = 0;
    const started = Date.now();
    let idleSince = Date.now();
    while (Date.now() - started < maxMs && Date.now() - idleSince < idleMs) {
      const response = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 0, AttributeNames: ['All'] }));
      const messages = response.Messages ?? [];
      if (messages.length === 0) {
        await new Promise((r) => setTimeout(r, 100));
        continue;
      }
      idleSince = Date.now();
      const records = messages.map((m) => ({ messageId: m.MessageId!, receiptHandle: m.ReceiptHandle!, body: m.Body!, receiveCount: Number(m.Attributes?.ApproximateReceiveCount ?? '1') }));
      const failures = await worker(records, { deadline: Date.now() + 60_000 });
      processed += records.length;
      failed += failures.length;
      // Idle counts from the end of the batch: a batch that took longer than idleMs is not idleness.
      idleSince = Date.now();
      const done = messages.filter((m) => !failures.includes(m.MessageId!));
      if (done.length > 0) {
        await aws.clients.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: aws.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }));
      }
    }
    return { processed, failed };
  };

  return {
    aws,
    taskStore,
    queue,
    ruleStore,
    subscriptionStore,
    links,
    executionStore,
    pool,
    webhookUrl: webhook.url,
    apiUrl: api.url,
    logs,
    drain,
    async api(method, path, body, headers = { authorization: `Bearer ${API_KEY}` }) {
      const response = await fetch(`${api.url}${path}`, {
        method,
        headers: { ...headers, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
      });
      const text = await response.text();
      return { status: response.status, body: text ? JSON.parse(text) : undefined };
    },
    async close() {
      webhook.server.close();
      api.server.close();
      await engine.close();
      await Promise.all([...routed.values()].map((e) => e.close()));
      await aws.close();
    },
  };
}
