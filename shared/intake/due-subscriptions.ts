/**
 * The scheduled job: every subscription whose time has come gets a run started, one after
 * another, and the time of its next run. Starting a run only records its execution and queues its
 * first listing step (subscription-expansion.ts): the listing itself happens in the worker, in
 * bounded steps, so no subscription's tag list can outlast this invocation. One subscription's
 * failure to start is its own: it never stops the subscriptions after it.
 */
import { asCrossdockError } from '../errors.ts';
import type { Execution } from '../executions/execution.ts';
import type { CallOptions } from '../oci/client.ts';
import { nextRun, parseSchedule, type Schedule } from '../subscriptions/schedule.ts';
import type { Subscription, SubscriptionRun } from '../subscriptions/subscription.ts';
import type { SubscriptionStore } from '../subscriptions/subscription-store.ts';
import { startSubscriptionRun, type SubscriptionRunDeps } from './subscription-expansion.ts';

export interface DueDeps extends SubscriptionRunDeps {
  subscriptionStore: SubscriptionStore;
}

/** Time kept back at the end of an invocation: no run is started in it. */
export const START_MARGIN_MS = 60_000;

/**
 * Starts a run of one subscription now and moves its next run on. A subscription whose stored
 * schedule never runs is switched off instead, with the reason as its last run's error: stored
 * before schedules were checked for a next run, it could only fail again every time; a PUT with a
 * schedule that runs switches it on.
 */
export async function startRun(subscription: Subscription, deps: DueDeps): Promise<{ execution: Execution } | { disabled: SubscriptionRun }> {
  const now = (deps.now ?? (() => new Date()))();
  let schedule: Schedule;
  try {
    schedule = parseSchedule(subscription.schedule);
  } catch (error) {
    const run: SubscriptionRun = { at: now.toISOString(), considered: 0, enqueued: 0, upToDate: 0, tasks: [], errors: [`schedule: ${asCrossdockError(error).message}`], durationMs: 0 };
    await deps.subscriptionStore.put({ ...subscription, enabled: false, lastRun: run });
    deps.logger.warn('subscription disabled', { subscription_id: subscription.id, reason: 'schedule never runs' });
    return { disabled: run };
  }
  // The next run's time first: `lastRun` is written by the run's last step, which must not be
  // overwritten by this (and the scheduled function reads no subscription by id).
  await deps.subscriptionStore.put({ ...subscription, nextRunAt: nextRun(schedule, now).toISOString() });
  return { execution: await startSubscriptionRun(subscription, deps) };
}

/**
 * Starts what is due. With a deadline (Lambda's remaining time), no run starts in its last
 * minute; what did not start stays due for the next invocation. `failed`: runs that could not be
 * started (a subscription switched off for its schedule counts too).
 */
export async function runDueSubscriptions(deps: DueDeps, options: Pick<CallOptions, 'deadline'> = {}): Promise<{ ran: number; failed: number }> {
  const now = (deps.now ?? (() => new Date()))();
  const due = (await deps.subscriptionStore.list()).filter((s) => s.enabled && Date.parse(s.nextRunAt) <= now.getTime());
  let ran = 0;
  let failed = 0;
  for (const subscription of due) {
    if (options.deadline !== undefined && Date.now() > options.deadline - START_MARGIN_MS) break;
    try {
      if ('disabled' in (await startRun(subscription, deps))) failed++;
    } catch (error) {
      // The store or the queue, most likely: the next subscriptions still get their turn.
      failed++;
      deps.logger.error('subscription run not started', { subscription_id: subscription.id, error: asCrossdockError(error).message });
    }
    ran++;
  }
  if (due.length > 0) deps.logger.info('subscription runs started', { due: due.length, started: ran - failed, failed });
  return { ran, failed };
}
