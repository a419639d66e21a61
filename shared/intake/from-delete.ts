/**
 * A tag deleted at the source becomes one `delete` task per destination of each matching rule
 * that opted in to replicating deletions (`deletions.enabled`), not before the rule's safety
 * delay. Rules that did not opt in create nothing: deletions are off by default.
 */
import { createHash } from 'node:crypto';
import { matchRules } from '../rules/match.ts';
import type { RuleIndex } from '../rules/match.ts';
import type { Rule } from '../rules/rule.ts';
import { pushIdentity } from './push.ts';
import type { NewTask } from '../tasks/task.ts';
import type { PushEvent } from '../webhooks/push-event.ts';

export function tasksForDelete(event: PushEvent, rules: readonly Rule[] | RuleIndex, rawBody: Uint8Array, receivedAt: Date): NewTask[] {
  const deliveryDigest = createHash('sha256').update(rawBody).digest('hex');
  // The same delivery twice is one task; a delete after a re-push of the tag is a new one.
  const identity = `delete:${pushIdentity(event, deliveryDigest)}`;
  const deletedAt = new Date(event.occurredAt ?? receivedAt);
  return matchRules(rules, event)
    .filter(({ rule }) => rule.deletions.enabled)
    .map(({ rule, destination }) => ({
      kind: 'delete',
      ruleId: rule.id,
      source: { registry: event.registry, repository: event.repository, ...(event.tag ? { tag: event.tag } : {}), ...(event.digest ? { digest: event.digest } : {}) },
      destination: { registry: destination.registry, repository: destination.repository, ...(destination.tag ? { tag: destination.tag } : {}) },
      options: { overwrite: rule.overwrite, platforms: rule.platforms, referrers: rule.referrers },
      pushedAt: deletedAt.toISOString(),
      // The delay counts from when the delete reached us, so a late delivery still waits it out.
      notBefore: new Date(receivedAt.getTime() + rule.deletions.delaySeconds * 1000).toISOString(),
      identity,
    }));
}
