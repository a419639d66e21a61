/**
 * Quay.io / Red Hat Quay "Push to Repository" (`repo_push`) notifications. quay/quay
 * `notifications/notificationevent.py` (RepoPushEvent), `notifications/__init__.py`.
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, hostOf, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';

const Payload = z.looseObject({
  repository: z.string(),
  docker_url: z.string(),
  // Current shape: a list of tags. The 2013 shape mapped tag → v1 image id (not a digest).
  updated_tags: z.union([z.array(z.string()), z.record(z.string(), z.unknown())]).optional(),
});

export function parseQuay(body: unknown, context: DeliveryContext): ParsedDelivery {
  const payload = parsePayload('quay', Payload, body);
  const collector = createCollector('quay', context);
  // Other notification kinds (builds, vulnerabilities) share repository and docker_url but have
  // no updated_tags.
  if (payload.updated_tags === undefined) {
    collector.ignore('not-a-push');
    return collector.result();
  }
  const tags = Array.isArray(payload.updated_tags) ? payload.updated_tags : Object.keys(payload.updated_tags);
  if (tags.length === 0) collector.ignore('untagged');
  for (const tag of tags) {
    // docker_url starts with Quay's SERVER_HOSTNAME, the host clients push to. No digest is
    // given: the worker resolves it from the tag.
    collector.push({
      registry: hostOf(payload.docker_url),
      namesRegistry: true,
      repository: payload.repository,
      tag,
    });
  }
  return collector.result();
}
