/**
 * The scheduled job: every subscription whose time has come runs, one after another, and its run
 * is recorded with the time of the next. One subscription's failure is its own record's error:
 * it never stops the subscriptions after it.
 */
import { asCrossdockError } from '../errors.ts';
import type { CallOptions } from '../oci/client.ts';
import { nextRun, parseSchedule, type Schedule } from '../subscriptions/schedule.ts';
import type { Subscription, SubscriptionRun } from '../subscriptions/subscription.ts';
import type { SubscriptionStore } from '../subscriptions/subscription-store.ts';
import { runSubscription, type RunDeps } from './subscription-run.ts';

export interface DueDeps extends RunDeps {
  subscriptionStore: SubscriptionStore;
}

/** Time kept back at the end of an invocation: a subscription is not started in it. */
export const START_MARGIN_MS = 60_000;

/** Runs one subscription now and records the run and the next run's time. */
export async function runAndRecord(subscription: Subscription, deps: DueDeps, options: CallOptions = {}): Promise<SubscriptionRun> {
  const now = (deps.now ?? (() => new Date()))();
  let schedule: Schedule;
  try {
    schedule = parseSchedule(subscription.schedule);
  } catch (error) {
    // Stored before schedules were checked for a next run: it could only fail again every time,
    // so it is switched off with the reason; a PUT with a schedule that runs switches it on.
    const run: SubscriptionRun = { at: now.toISOString(), considered: 0, enqueued: 0, upToDate: 0, tasks: [], errors: [`schedule: ${asCrossdockError(error).message}`], durationMs: 0 };
    await deps.subscriptionStore.put({ ...subscription, enabled: false, lastRun: run });
    deps.logger.warn('subscription disabled', { subscription_id: subscription.id, reason: 'schedule never runs' });
    return run;
  }
  let run: SubscriptionRun;
  let createdByDigest = subscription.createdByDigest;
  try {
    ({ run, createdByDigest } = await runSubscription(subscription, deps, options));
  } catch (error) {
    run = { at: now.toISOString(), considered: 0, enqueued: 0, upToDate: 0, tasks: [], errors: [asCrossdockError(error).message], durationMs: Date.now() - now.getTime() };
  }
  await deps.subscriptionStore.put({ ...subscription, lastRun: run, nextRunAt: nextRun(schedule, now).toISOString(), ...(createdByDigest ? { createdByDigest } : {}) });
  return run;
}

/**
 * Runs what is due. With a deadline (Lambda's remaining time), no subscription starts in its last
 * minute and every registry call stops at it; what did not run stays due for the next invocation.
 */
export async function runDueSubscriptions(deps: DueDeps, options: CallOptions = {}): Promise<{ ran: number; failed: number }> {
  const now = (deps.now ?? (() => new Date()))();
  const due = (await deps.subscriptionStore.list()).filter((s) => s.enabled && Date.parse(s.nextRunAt) <= now.getTime());
  let ran = 0;
  let failed = 0;
  for (const subscription of due) {
    if (options.deadline !== undefined && Date.now() > options.deadline - START_MARGIN_MS) break;
    try {
      const run = await runAndRecord(subscription, deps, options);
      if (run.errors.length > 0) failed++;
    } catch (error) {
      // Recording failed (the store, most likely): the next subscriptions still get their turn.
      failed++;
      deps.logger.error('subscription run failed', { subscription_id: subscription.id, error: asCrossdockError(error).message });
    }
    ran++;
  }
  if (due.length > 0) deps.logger.info('subscriptions ran', { due: due.length, ran, with_errors: failed });
  return { ran, failed };
}
