/** Lambda entry, on a schedule (every minute): run the subscriptions that are due. */
import { runDueSubscriptions } from '../../shared/subscriptions/run-due.ts';
import { createService } from '../service.ts';

const service = createService();

export async function handler(): Promise<{ ran: number; failed: number }> {
  return runDueSubscriptions(service);
}
