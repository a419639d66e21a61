/**
 * Lambda entry, on a schedule: re-send PENDING tasks that no worker claimed and whose message was
 * never sent (a crash in between) or is older than the queue keeps messages. Builds the task
 * store and queue only: no secret, no registry client, no undici.
 */
import { sweepStalePending } from '../../shared/tasks/enqueue.ts';
import { loadLambdaConfig } from '../config/lambda-config.ts';
import { createStores } from '../wiring/stores.ts';

/** A task younger than this may still be on its way to the queue. */
export const SWEEP_AFTER_MS = 60_000;

const config = loadLambdaConfig(process.env, []);
const stores = createStores(config.settings, config.logger);

export async function handler(): Promise<{ resent: number; failed: number }> {
  return sweepStalePending(stores, { olderThanMs: SWEEP_AFTER_MS });
}
