/**
 * One delivery for every kind of target: a webhook target goes to the webhook delivery (signed
 * POST), an SNS or EventBridge target to the AWS delivery. The notifier neither knows nor cares.
 */
import type { AwsDelivery } from './aws-delivery.ts';
import type { NotificationTarget } from './target.ts';
import type { WebhookDelivery } from './webhook-delivery.ts';

/** Headers a webhook receiver gets beside the body; the AWS delivery reads them for its attributes. */
export const EVENT_HEADER = 'x-crossdock-event';
export const NOTIFICATION_ID_HEADER = 'x-crossdock-notification-id';

export interface NotificationDelivery {
  /** Resolves with the attempts it took; throws NotificationFailedError after the last one. */
  deliver(target: NotificationTarget, body: string, headers?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export function createNotificationDelivery(parts: { webhook: WebhookDelivery; aws: AwsDelivery }): NotificationDelivery {
  return {
    deliver: (target, body, headers) => (target.kind === 'webhook' ? parts.webhook.deliver(target, body, headers) : parts.aws.deliver(target, body, headers)),
    async close() {
      parts.aws.close();
      await parts.webhook.close();
    },
  };
}
