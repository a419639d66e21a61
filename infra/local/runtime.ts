/**
 * crossdock on one machine: the same webhook, API, worker and sweep as on Lambda, over an
 * embedded DynamoDB (dynalite, data on disk) and SQS (local-aws-sqs), or over real AWS when the
 * configuration names it. One HTTP server serves both apps; a poller plays Lambda's SQS event
 * source mapping; timers play EventBridge schedules.
 */
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createAdaptorServer, type ServerType } from '@hono/node-server';
import type { AddressInfo } from 'node:net';
import { createApiApp } from '../../functions/api/app.ts';
import { createService, type Service } from '../../functions/service.ts';
import { createMetricsApp } from '../../functions/metrics/app.ts';
import { createNotificationParts } from '../../functions/wiring/notifications.ts';
import { createReplicationMetrics } from '../../shared/metrics/replication-metrics.ts';
import { createWebhookApp } from '../../functions/webhook/app.ts';
import { createSqsHandler } from '../../functions/worker/sqs-handler.ts';
import { ServiceConfig } from '../../shared/config.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import type { Logger } from '../../shared/log.ts';
import type { RegistryOptions } from '../../shared/oci/registry-options.ts';
import { createRuleLookup } from '../../shared/rules/rule-lookup.ts';
import { runDueSubscriptions } from '../../shared/intake/due-subscriptions.ts';
import { sweepStalePending } from '../../shared/tasks/enqueue.ts';
import { requeueUnfinished } from '../../shared/tasks/recover.ts';
import { configuredRouteTargets, storeConfigLinks } from '../../shared/links/config-links.ts';
import { createLinkGate } from '../../shared/links/link-gate.ts';
import { createConsumer } from '../../shared/intake/consumer.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import type { WebhookSource } from '../../shared/webhooks/webhook-source.ts';
import { createAwsClients } from '../aws/clients.ts';
import { startEmbeddedDynamoDb, startEmbeddedSqs, type EmbeddedServer } from '../aws/embedded.ts';
import { ensureQueues, ensureTables } from '../aws/provision.ts';
import { RULES_TABLE, TASKS_TABLE, tableName } from '../aws/tables.ts';
import { resolveSecret, resolveSecretFields, type LocalConfig } from './config.ts';
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
  let listening: { server: ServerType; url: string } | undefined;
  const stopEmbedded = async () => {
    if (listening) await closeServer(listening.server);
    await Promise.all(embedded.map((s) => s.close()));
    await lock?.release();
  };
  // Answers until the service is wired: the port is taken before anything else starts.
  let handle = (_request: Request): Response | Promise<Response> =>
    Response.json({ error: { code: 'SERVICE_STARTING', message: 'crossdock is starting; retry shortly', retryable: true } }, { status: 503, headers: { 'retry-after': '1' } });
  try {
    // The port first: when it is taken, nothing else has started (no embedded servers, no
    // poller retrying a closed queue), and the start fails with one line.
    listening = await listen(config.listen, (request) => handle(request));
    const serviceConf = await serviceConfig(config, env, logger, embedded);
    const metrics = createReplicationMetrics();
    const service = createService(serviceConf, logger, { onManifestGet: metrics.manifestGet });
    await storeConfigLinks(service.links, config.links, new Date());
    if (!config.aws) await requeueUnfinished(service);

    const sqs = createAwsClients({ region: serviceConf.region, ...(serviceConf.sqsEndpoint ? { sqsEndpoint: serviceConf.sqsEndpoint } : {}) }).sqs;
    const notifications = createNotificationParts(serviceConf, { ...service, region: serviceConf.region, tasksTable: serviceConf.tasksTable, retentionDays: serviceConf.retentionDays });
    const worker = createWorker({
      taskStore: service.taskStore, engine: service.engine, logger, queue: service.queue, maxReceiveCount: config.worker.maxReceiveCount,
      links: createLinkGate({ links: service.links, slots: service.linkSlots, logger, engineFor: service.engineFor }),
      onTaskFinished: async (task) => {
        metrics.taskFinished(task);
        await notifications?.notifier.taskFinished(task);
      },
    });
    const poller: Poller = startPoller({
      sqs,
      queueUrl: serviceConf.queueUrl,
      handler: createSqsHandler(createConsumer(worker, { ...service, maxReceiveCount: config.worker.maxReceiveCount }, notifications?.checkExecution)),
      concurrency: config.worker.concurrency,
      batchSize: config.worker.batchSize,
      visibilityTimeoutSeconds: config.worker.visibilityTimeoutSeconds,
      ...(config.worker.invocationSeconds !== undefined ? { invocationSeconds: config.worker.invocationSeconds } : {}),
      logger,
    });
    // Producers in this process wake the poller as soon as they queue work.
    const producer: Service = { ...service, queue: { send: async (messages) => {
      const sent = await service.queue.send(messages);
      poller.wake();
      return sent;
    }, sendExpansion: async (messages) => {
      await service.queue.sendExpansion?.(messages);
      poller.wake();
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

    const webhook = createWebhookApp({ ...producer, ruleLookup: createRuleLookup(service.ruleStore) });
    const api = createApiApp({ ...producer, notificationTargets: new Set(Object.keys(serviceConf.notifications.targets)) });
    const metricsApp = createMetricsApp({ apiKeys: serviceConf.apiKeys, render: metrics.render, logger });
    handle = (request: Request) => {
      const path = new URL(request.url).pathname;
      if (path === '/healthz') return Response.json({ status: 'ok' });
      if (path === '/metrics') return metricsApp.fetch(request);
      return path.startsWith('/webhooks/') ? webhook.fetch(request) : api.fetch(request);
    };
    const { server, url } = listening;
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
          listening = undefined;
          await service.engine.close();
          await notifications?.close();
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

async function listen(at: LocalConfig['listen'], fetch: (request: Request) => Response | Promise<Response>): Promise<{ server: ServerType; url: string }> {
  const server = createAdaptorServer({ fetch });
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(at.port, at.host, () => {
        server.off('error', reject);
        resolve();
      });
    });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'EADDRINUSE') {
      throw new InvalidInputError('PORT_IN_USE', `port ${at.port} on ${at.host} is already in use; stop what listens there or choose another --port (or CROSSDOCK_PORT)`, { cause: error });
    }
    throw error;
  }
  return { server, url: `http://${at.host}:${(server.address() as AddressInfo).port}` };
}

function closeServer(server: ServerType): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    (server as { closeAllConnections?: () => void }).closeAllConnections?.();
  });
}

/** The service configuration the Lambda functions get, built from the local configuration. */
async function serviceConfig(config: LocalConfig, env: Readonly<Record<string, string | undefined>>, logger: Logger, embedded: EmbeddedServer[]): Promise<ServiceConfig> {
  const apiKeys = config.apiKeys.length > 0
    ? await Promise.all(config.apiKeys.map((k, i) => resolveSecret(k, env, `apiKeys.${i}`)))
    : [await generatedSecret(config.dataDir, 'api-key').then((s) => (logger.info('api key generated or reused', { file: s.file }), s.value))];
  const sources: Record<string, WebhookSource> = {};
  if (Object.keys(config.webhooks).length === 0) {
    const token = await generatedSecret(config.dataDir, 'webhook-token');
    logger.info('webhook token generated or reused', { file: token.file, source: 'distribution', header: 'Authorization: Bearer <token>' });
    sources.distribution = { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: `Bearer ${token.value}` } };
  }
  for (const [name, source] of Object.entries(config.webhooks)) {
    sources[name] = { ...source, auth: await resolveSecretFields(source.auth, env, `webhooks.${name}.auth`) } as WebhookSource;
  }
  const registries: Record<string, RegistryOptions> = {};
  for (const [host, entry] of Object.entries(config.registries)) {
    registries[host] = await resolveSecretFields(entry, env, `registries.${host}`) as RegistryOptions;
  }
  // The configured links' route targets are declared by being configured (issue 13).
  for (const target of configuredRouteTargets(config.links)) registries[target] ??= {};

  let storage: Pick<ServiceConfig, 'region' | 'rulesTable' | 'tasksTable' | 'queueUrl' | 'dynamodbEndpoint' | 'sqsEndpoint'>;
  if (config.aws) {
    storage = {
      region: config.aws.region,
      rulesTable: config.aws.rulesTable,
      tasksTable: config.aws.tasksTable,
      queueUrl: config.aws.queueUrl,
      ...(config.aws.dynamodbEndpoint ? { dynamodbEndpoint: config.aws.dynamodbEndpoint } : {}),
      ...(config.aws.sqsEndpoint ? { sqsEndpoint: config.aws.sqsEndpoint } : {}),
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
      region: 'us-east-1',
      rulesTable: tableName(PREFIX, RULES_TABLE),
      tasksTable: tableName(PREFIX, TASKS_TABLE),
      queueUrl,
      dynamodbEndpoint: dynamodb.endpoint,
      sqsEndpoint: sqs.endpoint,
    };
  }
  const notificationTargets: Record<string, unknown> = {};
  for (const [name, target] of Object.entries(config.notifications.targets)) {
    notificationTargets[name] = await resolveSecretFields(target, env, `notifications.targets.${name}`);
  }
  return ServiceConfig.parse({
    ...storage,
    notifications: { targets: notificationTargets, global: config.notifications.global },
    apiKeys,
    webhookSources: sources,
    registries,
    maxReceiveCount: config.worker.maxReceiveCount,
    retentionDays: config.retentionDays,
    logLevel: config.log.level,
  });
}
