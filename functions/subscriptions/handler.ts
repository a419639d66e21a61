/**
 * Lambda entry, on a schedule (every minute): start a run of each subscription that is due (its
 * execution recorded and first listing step queued; the worker lists it). The registries are
 * re-read when their cache expires; the pool is rebuilt only when they changed.
 */
import { runDueSubscriptions } from '../../shared/intake/due-subscriptions.ts';
import { loadLambdaConfig } from '../config/lambda-config.ts';
import { rebuildWithRegistries } from '../config/rebuild-with-registries.ts';
import { createStores } from '../wiring/stores.ts';

const config = loadLambdaConfig(process.env, ['registries', 'webhookSources']);
const stores = createStores(config.settings, config.logger);
const current = rebuildWithRegistries(config.secrets, config.logger, (parts) => ({ ...stores, pool: parts.pool }));

export async function handler(_event?: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<{ ran: number; failed: number }> {
  return runDueSubscriptions(await current(), context ? { deadline: Date.now() + context.getRemainingTimeInMillis() } : {});
}
