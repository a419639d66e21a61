/** A push event and the rules it matched become one new task per (rule, destination). */
import { createHash } from 'node:crypto';
import type { RuleMatch } from '../rules/match.ts';
import type { PushEvent } from '../webhooks/push-event.ts';
import type { NewTask } from './task.ts';

/**
 * What makes a delivery the same push: the provider's event id; else the digest and the push
 * time (a tag moved back to an earlier image is a new push); else the delivery's bytes.
 */
export function pushIdentity(event: PushEvent, deliveryDigest: string): string {
  if (event.eventId) return `event:${event.eventId}`;
  if (event.digest || event.occurredAt) return `push:${event.digest ?? ''}@${event.occurredAt ?? ''}`;
  return `delivery:${deliveryDigest}`;
}

export function tasksForPush(event: PushEvent, matches: RuleMatch[], rawBody: Uint8Array, receivedAt: Date): NewTask[] {
  const deliveryDigest = createHash('sha256').update(rawBody).digest('hex');
  const identity = pushIdentity(event, deliveryDigest);
  return matches.map(({ rule, destination }) => ({
    kind: 'push',
    ruleId: rule.id,
    source: { registry: event.registry, repository: event.repository, ...(event.tag ? { tag: event.tag } : {}), ...(event.digest ? { digest: event.digest } : {}) },
    destination: { registry: destination.registry, repository: destination.repository, ...(destination.tag ? { tag: destination.tag } : {}) },
    options: { overwrite: rule.overwrite, platforms: rule.platforms, referrers: rule.referrers },
    pushedAt: new Date(event.occurredAt ?? receivedAt).toISOString(),
    identity,
  }));
}
