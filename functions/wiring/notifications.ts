/**
 * The notification half of the wiring: the notifier over the service's declared targets, the
 * rules' own policies, and a ledger in the tasks table. Absent targets: no notifier at all.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { ServiceSecrets } from '../../shared/config.ts';
import type { Logger } from '../../shared/log.ts';
import { DynamoDbNotificationLedger } from '../../shared/notifications/ledger.ts';
import { createNotifier, type Notifier } from '../../shared/notifications/notifier.ts';
import { createWebhookDelivery, type WebhookDeliveryOptions } from '../../shared/notifications/webhook-delivery.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';

export interface NotificationParts {
  notifier: Notifier;
  close(): Promise<void>;
}

export function createNotificationParts(
  secrets: Pick<ServiceSecrets, 'notifications'>,
  deps: { dynamodb: DynamoDBClient; tasksTable: string; retentionDays: number; ruleStore: RuleStore; logger: Logger; delivery?: WebhookDeliveryOptions },
): NotificationParts | undefined {
  const config = secrets.notifications;
  if (Object.keys(config.targets).length === 0) return undefined;
  deps.logger.info('notification targets declared', { targets: Object.keys(config.targets).sort() });
  const delivery = createWebhookDelivery(deps.delivery);
  const notifier = createNotifier({
    config,
    rulePolicies: async (ruleId) => (await deps.ruleStore.get(ruleId))?.notifications ?? [],
    ledger: new DynamoDbNotificationLedger({ client: deps.dynamodb, tableName: deps.tasksTable, retentionDays: deps.retentionDays }),
    delivery,
    logger: deps.logger,
  });
  return { notifier, close: () => delivery.close() };
}
