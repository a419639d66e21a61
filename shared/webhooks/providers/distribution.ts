/**
 * CNCF Distribution (registry 2.8 / 3.x, and self-managed GitLab's fork) notifications:
 * `{"events": [...]}`, one event per blob and per manifest (distribution `notifications/event.go`).
 */
import { z } from 'zod';
import { IMAGE_MEDIA_TYPES, INDEX_MEDIA_TYPES } from '../../oci/media-types.ts';
import { createCollector, type DeliveryContext, hostOf, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { Rfc3339Time } from '../timestamps.ts';

const Event = z.looseObject({
  id: z.string().optional(),
  timestamp: Rfc3339Time.optional(),
  action: z.string(),
  // Delete events carry a subset: {digest, repository}, {repository, tag} or {repository}.
  target: z.looseObject({
    mediaType: z.string().optional(),
    digest: z.string().optional(),
    repository: z.string(),
    url: z.string().optional(),
    tag: z.string().optional(),
  }),
  request: z.looseObject({ host: z.string().optional() }).optional(),
});

const Envelope = z.looseObject({ events: z.array(Event) });

const BLOB_MEDIA_TYPE = 'application/octet-stream';
const IGNORED_ACTIONS: Record<string, string> = { pull: 'pull', delete: 'delete', mount: 'mount' };

export function parseDistribution(body: unknown, context: DeliveryContext): ParsedDelivery {
  const { events } = parsePayload('distribution', Envelope, body);
  const collector = createCollector('distribution', context);
  for (const event of events) {
    const { target } = event;
    if (event.action === 'delete') {
      // Distribution 3 reports a tag deletion as {repository, tag}; a delete by digest names no tag.
      collector.remove({ registry: hostOf(target.url) ?? event.request?.host, repository: target.repository, tag: target.tag, digest: target.digest, eventId: event.id, occurredAt: event.timestamp });
      continue;
    }
    if (event.action !== 'push') {
      collector.ignore(IGNORED_ACTIONS[event.action] ?? 'not-a-push');
      continue;
    }
    // Blob pushes carry application/octet-stream (the registry does not know layer types).
    if (target.mediaType === undefined || target.mediaType === BLOB_MEDIA_TYPE || target.url?.includes('/blobs/')) {
      collector.ignore('blob');
      continue;
    }
    if (!IMAGE_MEDIA_TYPES.has(target.mediaType) && !INDEX_MEDIA_TYPES.has(target.mediaType)) {
      collector.ignore('unsupported-media-type');
      continue;
    }
    // Nothing in the payload names the registry with certainty: target.url is absolute only when
    // `http.host` is set, request.host is whatever Host header the client used. Configuration wins.
    // A manifest pushed by digest alone (target.tag absent) is dropped as 'untagged' by the
    // collector: the children of a multi-arch push arrive that way before the index by tag.
    collector.push({
      registry: hostOf(target.url) ?? event.request?.host,
      repository: target.repository,
      tag: target.tag,
      digest: target.digest,
      mediaType: target.mediaType,
      eventId: event.id,
      occurredAt: event.timestamp,
    });
  }
  return collector.result();
}
