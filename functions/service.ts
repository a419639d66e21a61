/**
 * Wiring for the Lambda functions, in one place: clients, stores, queue and engine built once
 * per cold start from the environment and reused by warm invocations.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { readServiceEnvironment, type ServiceEnvironment } from '../shared/config.ts';
import { InvalidInputError } from '../shared/errors.ts';
import { createLogger, type Logger } from '../shared/log.ts';
import { CopyEngine } from '../shared/oci/copy.ts';
import { declareRegistries } from '../shared/oci/egress-policy.ts';
import { RegistryDirectory, RegistryOptions } from '../shared/oci/registry-options.ts';
import { RegistryPool } from '../shared/oci/registry-pool.ts';
import type { Queue } from '../shared/queue/queue.ts';
import { SqsQueue } from '../shared/queue/sqs-queue.ts';
import { DynamoDbRuleStore } from '../shared/rules/dynamodb-rule-store.ts';
import { DynamoDbSubscriptionStore } from '../shared/subscriptions/subscription-store.ts';
import { DynamoDbTaskStore } from '../shared/tasks/dynamodb-task-store.ts';
import { WebhookSource } from './webhook/app.ts';

export interface Service {
  env: ServiceEnvironment;
  logger: Logger;
  rulesStore: DynamoDbRuleStore;
  subscriptions: DynamoDbSubscriptionStore;
  store: DynamoDbTaskStore;
  queue: Queue;
  pool: RegistryPool;
  engine: CopyEngine;
  sources: Record<string, WebhookSource>;
}

export function createService(env: ServiceEnvironment = readServiceEnvironment(), logger: Logger = createLogger({ level: env.CROSSDOCK_LOG_LEVEL })): Service {
  const local = env.CROSSDOCK_DYNAMODB_ENDPOINT !== undefined || env.CROSSDOCK_SQS_ENDPOINT !== undefined;
  const credentials = local ? { accessKeyId: 'local', secretAccessKey: 'local' } : undefined;
  const dynamodb = new DynamoDBClient({ region: env.AWS_REGION, ...(env.CROSSDOCK_DYNAMODB_ENDPOINT ? { endpoint: env.CROSSDOCK_DYNAMODB_ENDPOINT } : {}), ...(credentials ? { credentials } : {}) });
  const sqs = new SQSClient({ region: env.AWS_REGION, ...(env.CROSSDOCK_SQS_ENDPOINT ? { endpoint: env.CROSSDOCK_SQS_ENDPOINT } : {}), ...(credentials ? { credentials } : {}) });
  const registries = z.record(z.string(), RegistryOptions).safeParse(env.CROSSDOCK_REGISTRIES);
  if (!registries.success) throw new InvalidInputError('ENVIRONMENT_INVALID', registries.error.issues.map((i) => `CROSSDOCK_REGISTRIES.${i.path.join('.')}: ${i.message}`));
  const sources = z.record(z.string(), WebhookSource).safeParse(env.CROSSDOCK_WEBHOOK_SOURCES);
  if (!sources.success) throw new InvalidInputError('ENVIRONMENT_INVALID', sources.error.issues.map((i) => `CROSSDOCK_WEBHOOK_SOURCES.${i.path.join('.')}: ${i.message}`));
  // Only declared registries are contacted (issue 8): the registries' keys and the sources' registries.
  const declared = declareRegistries(registries.data, Object.values(sources.data).flatMap((s) => (s.registry ? [s.registry] : [])));
  logger.info('registries declared', { registries: declared.list() });
  const pool = new RegistryPool({ directory: new RegistryDirectory(registries.data), logger, egress: { declared } });
  return {
    env,
    logger,
    rulesStore: new DynamoDbRuleStore(dynamodb, env.CROSSDOCK_RULES_TABLE),
    subscriptions: new DynamoDbSubscriptionStore(dynamodb, env.CROSSDOCK_RULES_TABLE),
    store: new DynamoDbTaskStore({ client: dynamodb, tableName: env.CROSSDOCK_TASKS_TABLE, retentionDays: env.CROSSDOCK_RETENTION_DAYS }),
    queue: new SqsQueue(sqs, env.CROSSDOCK_QUEUE_URL, logger),
    pool,
    engine: new CopyEngine({ pool, logger }),
    sources: sources.data,
  };
}
