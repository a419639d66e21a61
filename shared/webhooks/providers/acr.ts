/**
 * Alibaba Cloud Container Registry (ACR) triggers: a flat object per pushed tag.
 * Alibaba Cloud help "Use a webhook" (doc-detail/60949).
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { AcrLocalTime } from '../timestamps.ts';

const Payload = z.looseObject({
  push_data: z.looseObject({
    digest: z.string().optional(),
    tag: z.string().optional(),
    pushed_at: AcrLocalTime.optional(),
  }),
  repository: z.looseObject({ region: z.string().optional(), repo_full_name: z.string() }),
});

export function parseAcr(body: unknown, context: DeliveryContext): ParsedDelivery {
  const payload = parsePayload('acr', Payload, body);
  const collector = createCollector('acr', context);
  const { region } = payload.repository;
  collector.push({
    // The payload gives only the region: the public endpoint is derived from it, but VPC
    // (`registry-vpc.<region>.aliyuncs.com`) and Enterprise Edition hosts must be configured.
    registry: region ? `registry.${region}.aliyuncs.com` : undefined,
    // The docs sample names `namespace/repoTest`, which the reference grammar (and every OCI
    // client) rejects; the registry can only serve the lowercase name, so read it that way.
    repository: payload.repository.repo_full_name.toLowerCase(),
    tag: payload.push_data.tag,
    digest: payload.push_data.digest,
    occurredAt: payload.push_data.pushed_at,
  });
  return collector.result();
}
