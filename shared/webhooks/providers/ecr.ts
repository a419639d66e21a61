/**
 * AWS ECR has no webhook: an EventBridge rule forwards "ECR Image Action" events (to an API
 * destination, or to a Lambda as-is). awsdocs/amazon-ecr-user-guide `ecr-eventbridge.md`.
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { Rfc3339Time } from '../timestamps.ts';

const IMAGE_ACTION = 'ECR Image Action';

const Envelope = z.looseObject({
  id: z.string().optional(),
  'detail-type': z.string(),
  source: z.string(),
  account: z.string(),
  region: z.string(),
  time: Rfc3339Time.optional(),
  detail: z.looseObject({}),
});

// Field names are kebab-case; manifest-media-type only appears in newer events.
const ImageAction = z.looseObject({
  'action-type': z.string(),
  result: z.string(),
  'repository-name': z.string(),
  'image-digest': z.string().optional(),
  'image-tag': z.string().optional(),
  'manifest-media-type': z.string().optional(),
});

export function parseEcr(body: unknown, context: DeliveryContext): ParsedDelivery {
  const envelope = parsePayload('ecr', Envelope, body);
  const collector = createCollector('ecr', context);
  // ECR Image Scan, ECR Pull Through Cache Action… reach the same target if the rule allows.
  if (envelope['detail-type'] !== IMAGE_ACTION) {
    collector.ignore('not-a-push');
    return collector.result();
  }
  const detail = parsePayload('ecr', ImageAction, envelope.detail, ['detail']);
  if (detail['action-type'] === 'DELETE' && detail.result === 'SUCCESS' && sameEcrRegistry(context.registry, envelope.account, envelope.region)) {
    collector.remove({ registry: ecrRegistry(envelope.account, envelope.region), repository: detail['repository-name'], tag: detail['image-tag'], digest: detail['image-digest'], eventId: envelope.id, occurredAt: envelope.time });
    return collector.result();
  }
  if (detail['action-type'] !== 'PUSH') {
    collector.ignore(detail['action-type'] === 'DELETE' ? 'delete' : 'not-a-push');
    return collector.result();
  }
  if (detail.result !== 'SUCCESS') {
    collector.ignore('failed');
    return collector.result();
  }
  // Account and region name the registry exactly. A source configured with an ECR host accepts
  // only its own account and region; another host (a DNS alias) cannot be compared, and wins.
  const configured = context.registry === undefined ? undefined : parseEcrHost(context.registry);
  if (configured && (configured.account !== envelope.account || configured.region !== envelope.region)) {
    collector.ignore('other-registry');
    return collector.result();
  }
  collector.push({
    registry: ecrRegistry(envelope.account, envelope.region),
    repository: detail['repository-name'],
    // "" or absent for a push by digest (one event per manifest of a multi-arch push).
    tag: detail['image-tag'],
    digest: detail['image-digest'],
    mediaType: detail['manifest-media-type'],
    eventId: envelope.id,
    occurredAt: envelope.time,
  });
  return collector.result();
}

/** A source configured with an ECR host speaks for its own account and region only. */
function sameEcrRegistry(configuredHost: string | undefined, account: string, region: string): boolean {
  const configured = configuredHost === undefined ? undefined : parseEcrHost(configuredHost);
  return !configured || (configured.account === account && configured.region === region);
}

function ecrRegistry(account: string, region: string): string {
  // The China partition answers under amazonaws.com.cn.
  return `${account}.dkr.ecr.${region}.amazonaws.com${region.startsWith('cn-') ? '.cn' : ''}`;
}

// `<account>.dkr.ecr[-fips].<region>.amazonaws.com[.cn]`, the private registry endpoints.
const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?(?::443)?$/;

function parseEcrHost(host: string): { account: string; region: string } | undefined {
  const match = ECR_HOST.exec(host.toLowerCase());
  return match ? { account: match[1]!, region: match[2]! } : undefined;
}
