/**
 * Where notifications go. Targets are declared by the operator in the service configuration
 * (name → url, secret, kind), never by a rule: a rule only names targets. A notification URL is
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

export const NotificationTarget = z.discriminatedUnion('kind', [WebhookTarget]);
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

