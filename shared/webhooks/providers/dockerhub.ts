/**
 * Docker Hub repository webhooks: a flat object per pushed tag, no digest, no event type (a push
 * is the only trigger). docker/docs `content/manuals/docker-hub/repos/manage/webhooks.md`.
 */
import { z } from 'zod';
import { DOCKER_HUB } from '../../oci/reference.ts';
import { createCollector, type DeliveryContext, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { UnixSecondsTime } from '../timestamps.ts';

const Payload = z.looseObject({
  // Older payloads also carry `push_data.images`; it is not needed.
  push_data: z.looseObject({ tag: z.string().optional(), pushed_at: UnixSecondsTime.optional() }),
  repository: z.looseObject({ repo_name: z.string() }),
});

export function parseDockerHub(body: unknown, context: DeliveryContext): ParsedDelivery {
  const payload = parsePayload('dockerhub', Payload, body);
  const collector = createCollector('dockerhub', context);
  // The digest is not in the payload: the worker resolves it with a HEAD on the tag, which also
  // re-verifies an unauthenticated delivery against the registry.
  collector.push({
    registry: DOCKER_HUB,
    repository: payload.repository.repo_name,
    tag: payload.push_data.tag,
    occurredAt: payload.push_data.pushed_at,
  });
  return collector.result();
}
