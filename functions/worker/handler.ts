/**
 * Lambda entry: the SQS batch handler (partial batch responses: `ReportBatchItemFailures`). The
 * registries are re-read when their cache expires; the pool and engine are rebuilt only when
 * they changed.
 */
import { createConsumer } from '../../shared/intake/consumer.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { loadLambdaConfig } from '../config/lambda-config.ts';
import { rebuildWithRegistries } from '../config/rebuild-with-registries.ts';
import { createStores } from '../wiring/stores.ts';
import { createSqsHandler, type LambdaContext } from './sqs-handler.ts';

const config = loadLambdaConfig(process.env, ['registries', 'webhookSources']);
const stores = createStores(config.settings, config.logger);
const current = rebuildWithRegistries(config.secrets, config.logger, (parts) =>
  createSqsHandler(createConsumer(
    createWorker({ taskStore: stores.taskStore, engine: parts.engine, logger: config.logger, queue: stores.queue, maxReceiveCount: config.settings.maxReceiveCount }),
    { ...stores, pool: parts.pool, maxReceiveCount: config.settings.maxReceiveCount },
  )));

export async function handler(event: unknown, context: LambdaContext) {
  return (await current())(event, context);
}
