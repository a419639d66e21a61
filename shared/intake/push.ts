/**
 * A webhook delivery's pushes become work: each push is matched against the rules of its
 * registry, and each (rule, destination) it matched becomes one task. Pushes are not planned
 * against the registries (the webhook answers fast; the worker finds an up-to-date destination
 * itself): the identity comes from the delivery.
 */
import { createHash } from 'node:crypto';
import { newExecutionId } from '../executions/execution.ts';
import { matchRules, type RuleMatch } from '../rules/match.ts';
import type { RuleLookup } from '../rules/rule-lookup.ts';
import { enqueueTasks, type EnqueueDeps, type EnqueuedTask } from '../tasks/enqueue.ts';
import type { NewTask } from '../tasks/task.ts';
import { tasksForDelete } from './from-delete.ts';
import type { PushEvent } from '../webhooks/push-event.ts';

export interface PushIntakeDeps extends EnqueueDeps {
  ruleLookup: RuleLookup;
}

export interface AcceptedPush {
  event: PushEvent;
  matches: RuleMatch[];
}

/**
 * What makes a delivery the same push: the provider's event id; else the digest and the push
 * time (a tag moved back to an earlier image is a new push); else the delivery's bytes.
 */
export function pushIdentity(event: PushEvent, deliveryDigest: string): string {
  if (event.eventId) return `event:${event.eventId}`;
  if (event.digest || event.occurredAt) return `push:${event.digest ?? ''}@${event.occurredAt ?? ''}`;
  return `delivery:${deliveryDigest}`;
}

export function tasksForPush(event: PushEvent, matches: RuleMatch[], rawBody: Uint8Array, receivedAt: Date, executionId?: string): NewTask[] {
  const deliveryDigest = createHash('sha256').update(rawBody).digest('hex');
  const identity = pushIdentity(event, deliveryDigest);
  return matches.map(({ rule, destination }) => ({
    kind: 'push',
    ruleId: rule.id,
    source: { registry: event.registry, repository: event.repository, ...(event.tag ? { tag: event.tag } : {}), ...(event.digest ? { digest: event.digest } : {}) },
    destination: { registry: destination.registry, repository: destination.repository, ...(destination.tag ? { tag: destination.tag } : {}) },
    options: { overwrite: rule.overwrite, platforms: rule.platforms, referrers: rule.referrers },
    pushedAt: new Date(event.occurredAt ?? receivedAt).toISOString(),
    ...(executionId ? { executionId } : {}),
    identity,
  }));
}

/**
 * Matches and enqueues the pushes of one genuine, parsed delivery, and its tag deletions for the
 * rules that opted in to replicating them. The delivery is an execution with nothing stored of
 * its own (a record per delivery would cost every push a write): its id holds its time, which is
 * its tasks' creation time, and its tasks carry the id.
 */
export async function acceptPushes(
  deps: PushIntakeDeps,
  events: readonly PushEvent[],
  rawBody: Uint8Array,
  receivedAt: Date,
  deletes: readonly PushEvent[] = [],
): Promise<{ execution: string; pushes: AcceptedPush[]; tasks: EnqueuedTask[] }> {
  const now = (deps.now ?? (() => new Date()))();
  const execution = newExecutionId('delivery', now);
  const pushes = await Promise.all(events.map(async (event) => {
    const matches = matchRules(await deps.ruleLookup(event.registry), event);
    return { event, matches, tasks: tasksForPush(event, matches, rawBody, receivedAt, execution) };
  }));
  const deleting = await Promise.all(deletes.map(async (event) => tasksForDelete(event, await deps.ruleLookup(event.registry), rawBody, receivedAt)
    .map((task) => ({ ...task, executionId: execution }))));
  const tasks = await enqueueTasks({ ...deps, now: () => now }, [...pushes.flatMap((p) => p.tasks), ...deleting.flat()]);
  return { execution, pushes: pushes.map(({ event, matches }) => ({ event, matches })), tasks };
}
