/**
 * `POST /webhooks/:provider[/:source]`: check the delivery is genuine, parse the provider's
 * payload into pushes, match them against the rules and create one task per (push, rule,
 * destination). Answers fast and 2xx for anything genuine and well-formed (distribution retries
 * every other status for ever); 401, 400, 404 and 413 otherwise, with nothing enqueued.
 */
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Logger } from '../../shared/log.ts';
import { acceptPushes, type PushIntakeDeps } from '../../shared/intake/push.ts';
import { verifyDelivery } from '../../shared/webhooks/authenticity.ts';
import type { DeliveryContext } from '../../shared/webhooks/delivery.ts';
import { parseDelivery } from '../../shared/webhooks/parse.ts';
import { Provider } from '../../shared/webhooks/push-event.ts';
import type { WebhookSource } from '../../shared/webhooks/webhook-source.ts';
import { errorResponse, handleError } from '../http/errors.ts';

/** Defined with the service configuration; re-exported for the callers that built apps from here. */
export type { WebhookSource };

export const MAX_WEBHOOK_BODY = 1024 * 1024;

export interface WebhookAppDeps extends PushIntakeDeps {
  /** Sources by name; `/webhooks/:provider` uses the source named like the provider. */
  sources: Record<string, WebhookSource>;
  logger: Logger;
}

export function createWebhookApp(deps: WebhookAppDeps) {
  const app = new Hono();
  app.onError((error, c) => handleError(error, c, deps.logger));

  const receive = async (c: import('hono').Context, providerName: string, sourceName: string) => {
    const provider = Provider.safeParse(providerName);
    if (!provider.success) return errorResponse(c, 'WEBHOOK_PROVIDER_UNKNOWN', `no webhook provider "${providerName}" (known: ${Provider.options.join(', ')})`);
    const source = deps.sources[sourceName];
    if (!source || source.provider !== provider.data) return errorResponse(c, 'WEBHOOK_SOURCE_UNKNOWN', `no webhook source "${sourceName}" is configured for ${provider.data}`);

    const rawBody = Buffer.from(await c.req.arrayBuffer());
    const context: DeliveryContext = {
      headers: Object.fromEntries(Object.entries(c.req.header()).map(([k, v]) => [k.toLowerCase(), v])),
      query: c.req.query(),
      ...(source.registry ? { registry: source.registry } : {}),
      receivedAt: new Date(),
    };
    const verdict = verifyDelivery(source.auth, rawBody, context);
    if (!verdict.ok) {
      deps.logger.warn('webhook refused', { provider: provider.data, source: sourceName, reason: verdict.reason });
      return errorResponse(c, 'WEBHOOK_UNAUTHENTICATED', verdict.reason);
    }
    const delivery = parseDelivery(provider.data, rawBody, context);
    const { execution, pushes, tasks: enqueued } = await acceptPushes(deps, delivery.events, rawBody, context.receivedAt, delivery.deletes ?? []);
    deps.logger.info('webhook received', { provider: provider.data, source: sourceName, events: delivery.events.length, ignored: delivery.ignored, tasks: enqueued.length, created: enqueued.filter((t) => t.created).length });
    return c.json({
      events: pushes.map((p) => ({ ...p.event, rules: [...new Set(p.matches.map((m) => m.rule.id))] })),
      ignored: { count: delivery.ignored, reasons: delivery.ignoredReasons },
      tasks: enqueued,
      execution,
    }, 202);
  };

  const limit = bodyLimit({ maxSize: MAX_WEBHOOK_BODY, onError: (c) => errorResponse(c, 'WEBHOOK_TOO_LARGE', `body over ${MAX_WEBHOOK_BODY} bytes`) });
  app.post('/webhooks/:provider', limit, (c) => receive(c, c.req.param('provider'), c.req.param('provider')));
  app.post('/webhooks/:provider/:source', limit, (c) => receive(c, c.req.param('provider'), c.req.param('source')));
  return app;
}
