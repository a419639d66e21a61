/**
 * The notification half of the wiring: the notifier over the service's declared targets, the
 * rules' own policies, and a ledger in the tasks table; the watch that schedules an execution's
 * finish check and the check itself (the queue's consumer hands it the check messages). Absent
 * targets: no notifier at all.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ServiceSecrets } from '../../shared/config.ts';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import type { Logger } from '../../shared/log.ts';
import { DynamoDbExecutionCheckMarks } from '../../shared/notifications/execution-check-marks.ts';
import { createExecutionCheck, type ExecutionCheckOutcome } from '../../shared/notifications/execution-check.ts';
import { createExecutionWatch } from '../../shared/notifications/execution-watch.ts';
import { createAwsDelivery, type AwsDeliveryOptions } from '../../shared/notifications/aws-delivery.ts';
import { createNotificationDelivery } from '../../shared/notifications/delivery.ts';
import { DynamoDbNotificationLedger } from '../../shared/notifications/ledger.ts';
import { createNotifier, type Notifier } from '../../shared/notifications/notifier.ts';
import { createWebhookDelivery, type WebhookDeliveryOptions } from '../../shared/notifications/webhook-delivery.ts';
import type { Queue } from '../../shared/queue/queue.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';
import type { TaskStore } from '../../shared/tasks/task-store.ts';

export interface NotificationParts {
  notifier: Notifier;
  /** Handles an execution check message (shared/intake/consumer.ts). */
  checkExecution(executionId: string): Promise<ExecutionCheckOutcome>;
  close(): Promise<void>;
}

export interface NotificationWiringDeps {
  dynamodb: DynamoDBClient;
  tasksTable: string;
  retentionDays: number;
  ruleStore: RuleStore;
  taskStore: TaskStore;
  executionStore: ExecutionStore;
  queue: Pick<Queue, 'sendExecutionCheck'>;
  logger: Logger;
  /** The service's region (an EventBridge bus named without its ARN is there). */
  region: string;
  delivery?: WebhookDeliveryOptions;
  /** SNS and EventBridge clients' endpoint and credentials, and the backoff (tests). */
  awsDelivery?: Omit<AwsDeliveryOptions, 'region'>;
  /** How long after a task finishes its execution is looked at (DEFAULT_CHECK_DELAY_SECONDS). */
  checkDelaySeconds?: number;
}

export function createNotificationParts(secrets: Pick<ServiceSecrets, 'notifications'>, deps: NotificationWiringDeps): NotificationParts | undefined {
  const config = secrets.notifications;
  if (Object.keys(config.targets).length === 0) return undefined;
  deps.logger.info('notification targets declared', { targets: Object.keys(config.targets).sort() });
  const delivery = createNotificationDelivery({
    webhook: createWebhookDelivery(deps.delivery),
    aws: createAwsDelivery({ region: deps.region, ...(deps.delivery?.policy ? { policy: deps.delivery.policy } : {}), ...deps.awsDelivery }),
  });
  const table = { client: deps.dynamodb, tableName: deps.tasksTable, retentionDays: deps.retentionDays };
  const watch = createExecutionWatch({
    marks: new DynamoDbExecutionCheckMarks(table),
    queue: deps.queue,
    logger: deps.logger,
    ...(deps.checkDelaySeconds !== undefined ? { delaySeconds: deps.checkDelaySeconds } : {}),
  });
  const notifier = createNotifier({
    config,
    rulePolicies: async (ruleId) => (await deps.ruleStore.get(ruleId))?.notifications ?? [],
    ledger: new DynamoDbNotificationLedger(table),
    delivery,
    logger: deps.logger,
    watch,
  });
  const checkExecution = createExecutionCheck({ executionStore: deps.executionStore, taskStore: deps.taskStore, notifier, watch, logger: deps.logger });
  return { notifier, checkExecution, close: () => delivery.close() };
}
