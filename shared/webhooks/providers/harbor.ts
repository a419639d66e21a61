/**
 * Harbor 2.x artifact webhooks, Default format (`{type, occur_at, operator, event_data}`) and
 * CloudEvents 1.0 structured format (Harbor 2.8+, `{specversion, id, type, time, data}`).
 * goharbor/harbor `src/pkg/notifier/formats/`, `src/controller/event/handler/webhook/artifact/`.
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, hostOf, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { Rfc3339Time, UnixSecondsTime } from '../timestamps.ts';

const ArtifactData = z.looseObject({
  resources: z.array(
    z.looseObject({
      digest: z.string().optional(),
      tag: z.string().optional(),
      resource_url: z.string().optional(),
    }),
  ),
  repository: z.looseObject({ repo_full_name: z.string() }),
});

// `data` / `event_data` differ by event type (scans, quotas, replication), so they are read only
// for pushes.
const DefaultEnvelope = z.looseObject({ type: z.string(), occur_at: UnixSecondsTime.optional(), event_data: z.looseObject({}) });
const CloudEventsEnvelope = z.looseObject({
  specversion: z.string(),
  id: z.string().optional(),
  type: z.string(),
  time: Rfc3339Time.optional(),
  data: z.looseObject({}),
});

const PUSH_TYPES = new Set(['PUSH_ARTIFACT', 'harbor.artifact.pushed']);
const DELETE_TYPES = new Set(['DELETE_ARTIFACT', 'harbor.artifact.deleted']);
const IGNORED_TYPES: Record<string, string> = {
  PULL_ARTIFACT: 'pull',
  'harbor.artifact.pulled': 'pull',
  DELETE_ARTIFACT: 'delete',
  'harbor.artifact.deleted': 'delete',
};

export function parseHarbor(body: unknown, context: DeliveryContext): ParsedDelivery {
  const envelope = readEnvelope(body);
  const collector = createCollector('harbor', context);
  if (DELETE_TYPES.has(envelope.type)) {
    const data = parsePayload('harbor', ArtifactData, envelope.data, [envelope.dataKey]);
    for (const resource of data.resources) {
      collector.remove({ registry: hostOf(resource.resource_url), repository: data.repository.repo_full_name, tag: resource.tag, digest: resource.digest, eventId: envelope.eventId, occurredAt: envelope.occurredAt });
    }
    return collector.result();
  }
  if (!PUSH_TYPES.has(envelope.type)) {
    collector.ignore(IGNORED_TYPES[envelope.type] ?? 'not-a-push');
    return collector.result();
  }
  const data = parsePayload('harbor', ArtifactData, envelope.data, [envelope.dataKey]);
  for (const resource of data.resources) {
    // resource_url starts with Harbor's ext_endpoint, which the docs samples show misconfigured
    // (`localhost`): the configured registry wins. Only the artifact's first tag is reported, and
    // a push by digest reports tag = digest; the collector reads a tag with ':' as no tag.
    collector.push({
      registry: hostOf(resource.resource_url),
      repository: data.repository.repo_full_name,
      tag: resource.tag,
      digest: resource.digest,
      eventId: envelope.eventId,
      occurredAt: envelope.occurredAt,
    });
  }
  return collector.result();
}

interface Envelope {
  type: string;
  eventId?: string | undefined;
  occurredAt?: string | undefined;
  data: unknown;
  dataKey: string;
}

function readEnvelope(body: unknown): Envelope {
  if (typeof body === 'object' && body !== null && 'specversion' in body) {
    const event = parsePayload('harbor', CloudEventsEnvelope, body);
    return { type: event.type, eventId: event.id, occurredAt: event.time, data: event.data, dataKey: 'data' };
  }
  const event = parsePayload('harbor', DefaultEnvelope, body);
  return { type: event.type, occurredAt: event.occur_at, data: event.event_data, dataKey: 'event_data' };
}
