/**
 * Lambda entry, on a schedule: re-send PENDING tasks that no worker claimed and whose message was
 * never sent (a crash in between) or is older than the queue keeps messages.
 */
import { sweepStalePending } from '../../shared/tasks/enqueue.ts';
import { createService } from '../service.ts';

/** A task younger than this may still be on its way to the queue. */
export const SWEEP_AFTER_MS = 60_000;

const service = createService();

export async function handler(): Promise<{ resent: number; failed: number }> {
  return sweepStalePending(service, { olderThanMs: SWEEP_AFTER_MS });
}
