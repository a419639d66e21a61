/**
 * crossdock on one machine: the same webhook, API, worker and sweep as on Lambda, over an
 * embedded DynamoDB (dynalite, data on disk) and SQS (local-aws-sqs), or over real AWS when the
 * configuration names it. One HTTP server serves both apps; a poller plays Lambda's SQS event
 * source mapping; timers play EventBridge schedules.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { serve, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../../functions/api/app.ts';
import { createService, type Service } from '../../functions/service.ts';
import { createWebhookApp } from '../../functions/webhook/app.ts';
import { createSqsHandler } from '../../functions/worker/sqs-handler.ts';
import { ServiceEnvironment } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { runDueSubscriptions } from '../../shared/subscriptions/run-due.ts';
import { sweepStalePending } from '../../shared/tasks/enqueue.ts';
import { requeueUnfinished } from '../../shared/tasks/recover.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { createAwsClients } from '../aws/clients.ts';
import { startEmbeddedDynamoDb, startEmbeddedSqs, type EmbeddedServer } from '../aws/embedded.ts';
import { ensureQueues, ensureTables } from '../aws/provision.ts';
import { RULES_TABLE, TASKS_TABLE, tableName } from '../aws/tables.ts';
import { resolveSecret, type LocalConfig } from './config.ts';
import { startPoller, type Poller } from './poller.ts';
import { acquirePidLock } from './pid-lock.ts';
import { generatedSecret } from './secrets.ts';

const PREFIX = 'crossdock';
/** Swept tasks must be older than this: younger ones may still be on their way to the queue. */
const SWEEP_AFTER_MS = 60_000;

export interface LocalRuntime {
  url: string;
  service: Service;
  stop(): Promise<void>;
}

export async function startLocalRuntime(config: LocalConfig, env: Readonly<Record<string, string | undefined>>, logger: Logger): Promise<LocalRuntime> {
  await mkdir(config.dataDir, { recursive: true });
  const lock = config.aws ? undefined : await acquirePidLock(config.dataDir);
  const embedded: EmbeddedServer[] = [];
  const stopEmbedded = async () => {
    await Promise.all(embedded.map((s) => s.close()));
    await lock?.release();
  };
  try {
    const serviceEnv = await serviceEnvironment(config, env, logger, embedded);
    const service = createService(serviceEnv, logger);
    if (!config.aws) await requeueUnfinished(service);

    const sqs = createAwsClients({ region: serviceEnv.AWS_REGION, ...(serviceEnv.CROSSDOCK_SQS_ENDPOINT ? { sqsEndpoint: serviceEnv.CROSSDOCK_SQS_ENDPOINT } : {}) }).sqs;
    const worker = createWorker({ store: service.store, engine: service.engine, logger, queue: service.queue, maxReceiveCount: config.worker.maxReceiveCount });
    const poller: Poller = startPoller({
      sqs,
      queueUrl: serviceEnv.CROSSDOCK_QUEUE_URL,
      handler: createSqsHandler(worker),
      concurrency: config.worker.concurrency,
      batchSize: config.worker.batchSize,
      visibilityTimeoutSeconds: config.worker.visibilityTimeoutSeconds,
      logger,
    });
    // Producers in this process wake the poller as soon as they queue work.
    const producer: Service = { ...service, queue: { send: async (messages) => {
      const sent = await service.queue.send(messages);
      poller.wake();
      return sent;
    } } };
    const sweep = setInterval(() => {
      sweepStalePending(producer, { olderThanMs: SWEEP_AFTER_MS, limit: 500 }).catch((error: unknown) => logger.error('sweep failed', { error: (error as Error).message }));
    }, config.schedules.sweepSeconds * 1000);
    sweep.unref();
    let subscriptionsBusy = false;
    const subscriptions = setInterval(() => {
      if (subscriptionsBusy) return;
      subscriptionsBusy = true;
      runDueSubscriptions(producer)
        .catch((error: unknown) => logger.error('subscriptions failed', { error: (error as Error).message }))
        .finally(() => (subscriptionsBusy = false));
    }, config.schedules.subscriptionsSeconds * 1000);
    subscriptions.unref();

    const webhook = createWebhookApp({ ...producer, rules: createRuleLookup(service.rulesStore) });
    const api = createApiApp({ ...producer, apiKeys: serviceEnv.CROSSDOCK_API_KEYS });
    const fetch = (request: Request) => {
      const path = new URL(request.url).pathname;
      if (path === '/healthz') return Response.json({ status: 'ok' });
      return path.startsWith('/webhooks/') ? webhook.fetch(request) : api.fetch(request);
    };
    const { server, url } = await new Promise<{ server: ServerType; url: string }>((resolve, reject) => {
      const server = serve({ fetch, port: config.listen.port, hostname: config.listen.host }, (info: AddressInfo) => resolve({ server, url: `http://${config.listen.host}:${info.port}` }));
      server.once('error', reject);
    });
    logger.info('crossdock serving', { url, data_dir: config.dataDir, storage: config.aws ? 'aws' : 'embedded' });

    let stopping: Promise<void> | undefined;
    return {
      url,
      service,
      stop() {
        stopping ??= (async () => {
          logger.info('crossdock stopping', { grace_s: config.worker.shutdownGraceSeconds });
          clearInterval(sweep);
          clearInterval(subscriptions);
          const closed = new Promise<void>((r) => server.close(() => r()));
          await poller.stop(config.worker.shutdownGraceSeconds * 1000);
          (server as { closeAllConnections?: () => void }).closeAllConnections?.();
          await closed;
          await service.engine.close();
          await stopEmbedded();
          logger.info('crossdock stopped', {});
        })();
        return stopping;
      },
    };
  } catch (error) {
    await stopEmbedded();
    throw error;
  }
}

/** The Lambda functions' environment, built from the local configuration. */
async function serviceEnvironment(config: LocalConfig, env: Readonly<Record<string, string | undefined>>, logger: Logger, embedded: EmbeddedServer[]): Promise<ServiceEnvironment> {
  const apiKeys = config.apiKeys.length > 0
    ? await Promise.all(config.apiKeys.map((k, i) => resolveSecret(k, env, `apiKeys.${i}`)))
    : [await generatedSecret(config.dataDir, 'api-key').then((s) => (logger.info('api key generated or reused', { file: s.file }), s.value))];
  const sources: Record<string, unknown> = {};
  if (Object.keys(config.webhooks).length === 0) {
    const token = await generatedSecret(config.dataDir, 'webhook-token');
    logger.info('webhook token generated or reused', { file: token.file, source: 'distribution', header: 'Authorization: Bearer <token>' });
    sources.distribution = { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: `Bearer ${token.value}` } };
  }
  for (const [name, source] of Object.entries(config.webhooks)) {
    const auth = source.auth;
    const what = `webhooks.${name}.auth`;
    sources[name] = {
      provider: source.provider,
      ...(source.registry ? { registry: source.registry } : {}),
      auth: auth.kind === 'hmac-sha256' ? { ...auth, secret: await resolveSecret(auth.secret, env, what) }
        : auth.kind === 'header' || auth.kind === 'url-secret' ? { ...auth, value: await resolveSecret(auth.value, env, what) }
        : auth,
    };
  }
  const registries: Record<string, unknown> = {};
  for (const [host, entry] of Object.entries(config.registries)) {
    const { password, ...rest } = entry;
    registries[host] = { ...rest, ...(password !== undefined ? { password: await resolveSecret(password, env, `registries.${host}.password`) } : {}) };
  }

  let storage: Record<string, string>;
  if (config.aws) {
    storage = {
      AWS_REGION: config.aws.region,
      CROSSDOCK_RULES_TABLE: config.aws.rulesTable,
      CROSSDOCK_TASKS_TABLE: config.aws.tasksTable,
      CROSSDOCK_QUEUE_URL: config.aws.queueUrl,
      ...(config.aws.dynamodbEndpoint ? { CROSSDOCK_DYNAMODB_ENDPOINT: config.aws.dynamodbEndpoint } : {}),
      ...(config.aws.sqsEndpoint ? { CROSSDOCK_SQS_ENDPOINT: config.aws.sqsEndpoint } : {}),
    };
  } else {
    const dynamodb = await startEmbeddedDynamoDb({ dataDir: join(config.dataDir, 'dynamodb') });
    embedded.push(dynamodb);
    const sqs = await startEmbeddedSqs({});
    embedded.push(sqs);
    const clients = createAwsClients({ region: 'us-east-1', dynamodbEndpoint: dynamodb.endpoint, sqsEndpoint: sqs.endpoint });
    await ensureTables(clients.dynamodb, PREFIX);
    const { queueUrl } = await ensureQueues(clients.sqs, PREFIX, { visibilityTimeoutSeconds: config.worker.visibilityTimeoutSeconds, maxReceiveCount: config.worker.maxReceiveCount });
    storage = {
      AWS_REGION: 'us-east-1',
      CROSSDOCK_RULES_TABLE: tableName(PREFIX, RULES_TABLE),
      CROSSDOCK_TASKS_TABLE: tableName(PREFIX, TASKS_TABLE),
      CROSSDOCK_QUEUE_URL: queueUrl,
      CROSSDOCK_DYNAMODB_ENDPOINT: dynamodb.endpoint,
      CROSSDOCK_SQS_ENDPOINT: sqs.endpoint,
    };
  }
  return ServiceEnvironment.parse({
    ...storage,
    CROSSDOCK_API_KEYS: apiKeys.join(','),
    CROSSDOCK_WEBHOOK_SOURCES: JSON.stringify(sources),
    CROSSDOCK_REGISTRIES: JSON.stringify(registries),
    CROSSDOCK_MAX_RECEIVE_COUNT: String(config.worker.maxReceiveCount),
    CROSSDOCK_RETENTION_DAYS: String(config.retentionDays),
    CROSSDOCK_LOG_LEVEL: config.log.level,
  });
}
