/** Lambda entry, on a schedule: re-send tasks recorded but never queued (a crash in between). */
import { sweepStalePending } from '../../shared/tasks/enqueue.ts';
import { createService } from '../service.ts';

/** A task younger than this may still be on its way to the queue. */
export const SWEEP_AFTER_MS = 60_000;

const service = createService();

export async function handler(): Promise<{ resent: number; failed: number }> {
  return sweepStalePending(service, { olderThanMs: SWEEP_AFTER_MS, limit: 500 });
}
