/**
 * The backoff every notification delivery shares (webhook, SNS, EventBridge): exponential with
 * jitter, a fixed number of attempts, and a permanent failure (a 4xx, an address refused) not
 * retried. One attempt's outcome says whether it may be tried again.
 */
import { CrossdockError } from '../errors.ts';

export class NotificationFailedError extends CrossdockError {
  constructor(message: string, retryable: boolean, cause?: unknown) {
    super('NOTIFICATION_FAILED', message, { retryable, cause });
  }
}

export interface DeliveryPolicy {
  attempts: number;
  baseMs: number;
  maxMs: number;
  /** Per attempt: the answer must arrive within this. */
  timeoutMs: number;
}

export const DEFAULT_DELIVERY: DeliveryPolicy = { attempts: 4, baseMs: 1_000, maxMs: 15_000, timeoutMs: 10_000 };

export interface RetrySeams {
  policy?: DeliveryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

/** What one attempt came to: delivered, or why not and whether trying again may help. */
export type AttemptOutcome = { delivered: true } | { delivered: false; retryable: boolean; why: string; cause?: unknown };

/** Resolves with the attempts it took; throws NotificationFailedError after the last one. */
export async function deliverWithRetry(where: string, attempt: (n: number) => Promise<AttemptOutcome>, seams: RetrySeams = {}): Promise<number> {
  const policy = seams.policy ?? DEFAULT_DELIVERY;
  const sleep = seams.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const random = seams.random ?? Math.random;
  for (let n = 1; ; n++) {
    const outcome = await attempt(n);
    if (outcome.delivered) return n;
    if (!outcome.retryable || n >= policy.attempts) {
      throw new NotificationFailedError(`notification ${where}: ${outcome.why} (attempt ${n} of ${policy.attempts})`, outcome.retryable, outcome.cause);
    }
    const step = Math.min(policy.maxMs, policy.baseMs * 2 ** (n - 1));
    await sleep(Math.round(step / 2 + (step / 2) * random()));
  }
}
