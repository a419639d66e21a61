/**
 * Lambda entry: the SQS batch handler (partial batch responses: `ReportBatchItemFailures`). The
 * registries are re-read when their cache expires; the pool and engine are rebuilt only when
 * they changed.
 */
import { createWorker } from '../../shared/tasks/worker.ts';
import { rebuildOnChange } from '../config/cached.ts';
import { loadLambdaConfig } from '../config/lambda-config.ts';
import { createRegistryParts, type RegistryParts } from '../wiring/registries.ts';
import { createStores } from '../wiring/stores.ts';
import { createSqsHandler, type LambdaContext } from './sqs-handler.ts';

const config = loadLambdaConfig(process.env, ['registries', 'webhookSources']);
const stores = createStores(config.settings, config.logger);
let parts: RegistryParts | undefined;
const current = rebuildOnChange(config.secrets, (secrets) => {
  // Invocations run one at a time in an execution environment: nothing uses the old pool now.
  void parts?.engine.close();
  parts = createRegistryParts(secrets, config.logger);
  return createSqsHandler(createWorker({ store: stores.store, engine: parts.engine, logger: config.logger, queue: stores.queue, maxReceiveCount: config.settings.maxReceiveCount }));
});

export async function handler(event: unknown, context: LambdaContext) {
  return (await current())(event, context);
}
