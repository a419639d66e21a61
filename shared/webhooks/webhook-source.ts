/**
 * A configured webhook source: which provider's payloads it sends, how its deliveries prove
 * they are genuine, and the registry its pushes come from when the payload does not say.
 * Part of the service configuration (shared/config.ts); `/webhooks/:provider[/:source]` looks
 * sources up by name.
 */
import { z } from 'zod';
import { WebhookAuth } from './authenticity.ts';
import { Provider } from './push-event.ts';

export const WebhookSource = z.strictObject({
  provider: Provider,
  auth: WebhookAuth,
  /** The registry host pushes come from, where the payload does not say it reliably. */
  registry: z.string().optional(),
});
export type WebhookSource = z.infer<typeof WebhookSource>;
