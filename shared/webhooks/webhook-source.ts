/**
 * A configured webhook source: which provider's payloads it sends, how its deliveries prove
 * they are genuine, and the registry its pushes come from when the payload does not say.
 * Part of the service configuration (shared/config.ts); `/webhooks/:provider[/:source]` looks
 * sources up by name.
 */
import { z } from 'zod';
import { JsonText, secretText } from '../secret-text.ts';
import { WebhookAuth } from './authenticity.ts';
import { Provider } from './push-event.ts';

export const WebhookSource = z.strictObject({
  provider: Provider,
  auth: WebhookAuth,
  /** The registry host pushes come from, where the payload does not say it reliably. */
  registry: z.string().optional(),
});
export type WebhookSource = z.infer<typeof WebhookSource>;

/** Webhook sources by name: the service configuration's `webhookSources`. */
export const WebhookSources = z.record(z.string(), WebhookSource).default({});
export type WebhookSources = z.infer<typeof WebhookSources>;

/**
 * The sources' secret (CROSSDOCK_WEBHOOK_SOURCES or the secret it names): JSON. Here, not only in
 * shared/config.ts, so that the webhook function reads it without the other secrets' schemas.
 */
export const WEBHOOK_SOURCES_TEXT = JsonText(WebhookSources);
export const WEBHOOK_SOURCES_SECRET = secretText(WebhookSources, WEBHOOK_SOURCES_TEXT);
