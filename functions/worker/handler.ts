/**
 * Lambda entry: the SQS batch handler (partial batch responses: `ReportBatchItemFailures`). The
 * registries are re-read when their cache expires; the pool and engine are rebuilt only when
 * they changed. Each finished task writes its embedded-metric-format line to stdout (CloudWatch
 * makes metrics of it) and is handed to the notifier when targets are declared.
 */
import { createConsumer } from '../../shared/intake/consumer.ts';
import { createLinkGate } from '../../shared/links/link-gate.ts';
import { createManifestGetTally, taskEmfLine } from '../../shared/metrics/embedded-metric-format.ts';
import type { Task } from '../../shared/tasks/task.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { loadLambdaConfig } from '../config/lambda-config.ts';
import { rebuildWithRegistries } from '../config/rebuild-with-registries.ts';
import { createNotificationParts, type NotificationParts } from '../wiring/notifications.ts';
import { createStores } from '../wiring/stores.ts';
import { createSqsHandler, type LambdaContext } from './sqs-handler.ts';

const config = loadLambdaConfig(process.env, ['registries', 'webhookSources', 'notifications']);
const stores = createStores(config.settings, config.logger);
const manifestGets = createManifestGetTally();
const writeMetrics = (task: Task) => {
  const now = new Date();
  for (const line of [taskEmfLine(task, now), ...manifestGets.flush(now)]) process.stdout.write(line + '\n');
};
let notifications: NotificationParts | undefined;
const current = rebuildWithRegistries(config.secrets, config.logger, (parts, secrets) => {
  // Rebuilt with the registries: one invocation at a time, so nothing uses the replaced agents.
  void notifications?.close();
  notifications = createNotificationParts(secrets, { ...stores, ...config.settings });
  const worker = createWorker({
    taskStore: stores.taskStore, engine: parts.engine, logger: config.logger, queue: stores.queue, maxReceiveCount: config.settings.maxReceiveCount,
    links: createLinkGate({ links: stores.links, slots: stores.linkSlots, logger: config.logger, engineFor: parts.engineFor }),
    onTaskFinished: async (task) => {
      writeMetrics(task);
      await notifications?.notifier.taskFinished(task);
    },
  });
  // Task messages go to the worker, listing steps of rule runs to the expansion (shared/intake).
  return createSqsHandler(createConsumer(worker, { ...stores, pool: parts.pool, maxReceiveCount: config.settings.maxReceiveCount }, notifications?.checkExecution));
}, { onManifestGet: manifestGets.count });

export async function handler(event: unknown, context: LambdaContext) {
  return (await current())(event, context);
}
