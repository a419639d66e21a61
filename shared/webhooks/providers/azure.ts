/**
 * Azure Container Registry webhooks: one event object per request (no `events` array), with
 * distribution's field names. MicrosoftDocs `container-registry-webhook-reference.md`.
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { Rfc3339Time } from '../timestamps.ts';

const Event = z
  .looseObject({
    id: z.string().optional(),
    timestamp: Rfc3339Time.optional(),
    action: z.string(),
    // chart_push carries no `request` and a chart target; the target is read for pushes only.
    target: z.looseObject({}).optional(),
    request: z.looseObject({ host: z.string().optional() }).optional(),
  })
  // Every event but a portal ping names its target; without one, this is not an ACR event.
  .refine((event) => event.target !== undefined || event.action === 'ping', { message: 'missing target', path: ['target'] });

const PushTarget = z.looseObject({
  repository: z.string(),
  tag: z.string().optional(),
  digest: z.string().optional(),
  mediaType: z.string().optional(),
});

const IGNORED_ACTIONS: Record<string, string> = {
  delete: 'delete',
  chart_push: 'chart',
  chart_delete: 'chart',
  ping: 'ping',
};

export function parseAzure(body: unknown, context: DeliveryContext): ParsedDelivery {
  const event = parsePayload('azure', Event, body);
  const collector = createCollector('azure', context);
  if (event.action === 'delete') {
    // A delete of a tag carries it in target.tag; a delete of a manifest by digest does not.
    const target = parsePayload('azure', PushTarget, event.target, ['target']);
    collector.remove({ registry: event.request?.host, namesRegistry: true, repository: target.repository, tag: target.tag, digest: target.digest, eventId: event.id, occurredAt: event.timestamp });
    return collector.result();
  }
  if (event.action !== 'push') {
    collector.ignore(IGNORED_ACTIONS[event.action] ?? 'not-a-push');
    return collector.result();
  }
  const target = parsePayload('azure', PushTarget, event.target, ['target']);
  collector.push({
    // request.host is the login server the client pushed to (`myregistry.azurecr.io`).
    registry: event.request?.host,
    namesRegistry: true,
    repository: target.repository,
    tag: target.tag,
    digest: target.digest,
    mediaType: target.mediaType,
    eventId: event.id,
    occurredAt: event.timestamp,
  });
  return collector.result();
}
