/**
 * Where notifications go. Targets are declared by the operator in the service configuration
 * (name → kind and its address: a webhook URL and signing secret, an SNS topic, an EventBridge
 * bus), never by a rule: a rule only names targets. A notification URL is
 * egress, so a rule author cannot point the service at an internal address of their choosing
 * (server-side request forgery); the deliveries still pass the address checks of the egress
 * policy (webhook-delivery.ts).
 */
import { z } from 'zod';
import { NotificationPolicy, unknownTargetProblems } from '../rules/rule-notifications.ts';

export const WebhookTarget = z.strictObject({
  kind: z.literal('webhook'),
  /** http(s) URL the payload is POSTed to. */
  url: z.string().url().refine((url) => /^https?:\/\//i.test(url), 'http or https URL'),
  /** Key of the HMAC-SHA256 signature (`X-Crossdock-Signature-256`); never sent, never logged. */
  secret: z.string().min(16, 'at least 16 characters'),
});
export type WebhookTarget = z.infer<typeof WebhookTarget>;

/** `arn:PARTITION:SERVICE:REGION:ACCOUNT:RESOURCE`; the region says where the client signs and sends. */
const REGION = '[a-z]{2}(?:-[a-z]+)+-\\d+';

/** On AWS: published to an SNS topic (IAM authorizes it; nothing to sign, no secret). */
export const SnsTarget = z.strictObject({
  kind: z.literal('sns'),
  topicArn: z.string().regex(new RegExp(`^arn:aws[a-z-]*:sns:${REGION}:\\d{12}:[A-Za-z0-9_-]{1,256}(?:\\.fifo)?$`), 'an SNS topic ARN (arn:aws:sns:REGION:ACCOUNT:TOPIC)'),
});
export type SnsTarget = z.infer<typeof SnsTarget>;

/** On AWS: put on an EventBridge event bus, by name (in the service's region) or ARN. */
export const EventBridgeTarget = z.strictObject({
  kind: z.literal('eventbridge'),
  eventBus: z.string().regex(new RegExp(`^(?:arn:aws[a-z-]*:events:${REGION}:\\d{12}:event-bus/)?[A-Za-z0-9._/-]{1,256}$`), 'an event bus name or ARN (arn:aws:events:REGION:ACCOUNT:event-bus/NAME)'),
  /** The events' `source`; `aws.` is reserved for AWS's own. */
  source: z.string().min(1).max(256).refine((s) => !s.startsWith('aws.'), 'must not start with "aws." (reserved by AWS)').default('crossdock'),
  /** The events' `detail-type`; by default the notification's event (`task.failed`, `execution.finished`…). */
  detailType: z.string().min(1).max(128).optional(),
});
export type EventBridgeTarget = z.infer<typeof EventBridgeTarget>;

export const NotificationTarget = z.discriminatedUnion('kind', [WebhookTarget, SnsTarget, EventBridgeTarget]);
export type NotificationTarget = z.infer<typeof NotificationTarget>;

/** The service's notification configuration: the declared targets and the global policies. */
export const NotificationsConfig = z.strictObject({
  targets: z.record(z.string().regex(/^[A-Za-z0-9_.-]{1,64}$/, 'letters, digits, _ . - (at most 64)'), NotificationTarget).default({}),
  /** Applied to every task, whichever rule (or none) created it. */
  global: z.array(NotificationPolicy).default([]),
}).superRefine((config, ctx) => {
  for (const problem of unknownTargetProblems(config.global, new Set(Object.keys(config.targets)), 'global')) ctx.addIssue({ code: 'custom', message: problem });
});
export type NotificationsConfig = z.infer<typeof NotificationsConfig>;

