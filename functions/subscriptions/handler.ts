/** Lambda entry, on a schedule (every minute): run the subscriptions that are due. */
import { runDueSubscriptions } from '../../shared/subscriptions/run-due.ts';
import { createService } from '../service.ts';

const service = createService();

export async function handler(_event?: unknown, context?: { getRemainingTimeInMillis(): number }): Promise<{ ran: number; failed: number }> {
  return runDueSubscriptions(service, context ? { deadline: Date.now() + context.getRemainingTimeInMillis() } : {});
}
