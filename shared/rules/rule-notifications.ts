/**
 * A rule's notification settings: when to notify, and which declared targets (by name) to tell.
 * Here beside the rule, not in shared/notifications, so that rules never import the notifier
 * (which reads tasks, which read rules).
 */
import { z } from 'zod';

/**
 * `task` on every finished task, `failure` on FAILED tasks only, `execution` once when an
 * execution (a rule run, a subscription run) finishes, with its roll-up.
 */
export const NotifyOn = z.enum(['task', 'failure', 'execution']);
export type NotifyOn = z.infer<typeof NotifyOn>;

export const NotificationPolicy = z.strictObject({
  on: NotifyOn.default('failure'),
  targets: z.array(z.string().min(1)).min(1, 'at least one target').max(10),
});
export type NotificationPolicy = z.infer<typeof NotificationPolicy>;

/** Policies naming targets nobody declared: one problem each, prefixed with where it was found. */
export function unknownTargetProblems(policies: readonly NotificationPolicy[], declared: ReadonlySet<string> | undefined, where: string): string[] {
  if (!declared) return [];
  const known = declared.size > 0 ? `declared: ${[...declared].sort().join(', ')}` : 'none is declared';
  return policies.flatMap((policy, i) =>
    policy.targets.filter((name) => !declared.has(name)).map((name) => `${where}.${i}.targets: no notification target "${name}" is declared (${known}; notifications.targets in the service configuration)`));
}
