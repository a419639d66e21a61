/**
 * Google Artifact Registry / Container Registry notifications, delivered by a Pub/Sub push
 * subscription on the `gcr` topic: `{message: {data: base64(JSON), messageId, publishTime},
 * subscription}`, or the bare message JSON when the subscription unwraps payloads (metadata then
 * arrives in x-goog-pubsub-* headers). Google Cloud "Configure Pub/Sub notifications".
 */
import { z } from 'zod';
import { InvalidInputError } from '../../errors.ts';
import { parseReference, type Reference } from '../../oci/reference.ts';
import { createCollector, type DeliveryContext, invalidPayload, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { fromRfc3339, Rfc3339Time } from '../timestamps.ts';

const PushEnvelope = z.looseObject({
  message: z.looseObject({
    data: z.string().min(1),
    messageId: z.string().optional(),
    message_id: z.string().optional(),
    publishTime: Rfc3339Time.optional(),
  }),
  subscription: z.string(),
});

// `tag` and `digest` are full image references (`us-east1-docker.pkg.dev/p/r/img:1.1`,
// `…/img@sha256:…`), not bare values; a DELETE may carry only one of them.
const Message = z
  .looseObject({ action: z.string(), digest: z.string().optional(), tag: z.string().optional() })
  .refine((message) => message.digest !== undefined || message.tag !== undefined, { message: 'has neither digest nor tag' });

export function parseGar(body: unknown, context: DeliveryContext): ParsedDelivery {
  const unwrapped = typeof body === 'object' && body !== null && !('message' in body) && 'action' in body;
  const delivery = unwrapped ? fromHeaders(body, context) : fromEnvelope(body);
  const message = parsePayload('gar', Message, delivery.message, delivery.at);
  const collector = createCollector('gar', context);
  if (message.action === 'DELETE') {
    // A tag deletion names the tag (`…/img:1.1`); a delete of the image by digest names no tag.
    const tagged = readReference(message.tag);
    if (tagged) collector.remove({ registry: tagged.registry, namesRegistry: true, repository: tagged.repository, tag: tagged.tag, eventId: delivery.eventId, occurredAt: delivery.occurredAt });
    else collector.ignore('delete');
    return collector.result();
  }
  if (message.action !== 'INSERT') {
    collector.ignore('not-a-push');
    return collector.result();
  }
  // INSERT also fires when a tag is added to an existing image: that is a push for replication.
  const tagged = readReference(message.tag);
  const pinned = readReference(message.digest);
  const name = pinned ?? tagged;
  if (tagged === null || pinned === null || name == null) {
    collector.ignore('invalid-reference');
    return collector.result();
  }
  collector.push({
    // The host is in the message itself; one topic serves every region's repositories.
    registry: name.registry,
    namesRegistry: true,
    repository: name.repository,
    tag: tagged?.tag,
    digest: pinned?.digest,
    eventId: delivery.eventId,
    occurredAt: delivery.occurredAt,
  });
  return collector.result();
}

interface Delivery {
  message: unknown;
  /** Where the message sits in the body, for error messages. */
  at: string[];
  eventId?: string | undefined;
  occurredAt?: string | undefined;
}

function fromEnvelope(body: unknown): Delivery {
  const { message } = parsePayload('gar', PushEnvelope, body);
  const text = Buffer.from(message.data, 'base64').toString('utf8');
  try {
    return { message: JSON.parse(text), at: ['message', 'data'], eventId: message.messageId ?? message.message_id, occurredAt: message.publishTime };
  } catch (error) {
    throw invalidPayload('gar', 'message.data is not base64-encoded JSON', error);
  }
}

function fromHeaders(body: unknown, context: DeliveryContext): Delivery {
  const publishTime = context.headers['x-goog-pubsub-publish-time'];
  return {
    message: body,
    at: [],
    eventId: context.headers['x-goog-pubsub-message-id'],
    occurredAt: publishTime ? fromRfc3339(publishTime) : undefined,
  };
}

/** undefined when absent, null when present but not a reference. */
function readReference(value: string | undefined): Reference | undefined | null {
  if (value === undefined || value === '') return undefined;
  try {
    return parseReference(value);
  } catch (error) {
    if (error instanceof InvalidInputError) return null;
    throw error;
  }
}
