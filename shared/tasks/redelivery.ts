/**
 * When a task that failed for a retryable reason runs again: exponential in the receive count,
 * with jitter so that tasks failing together (one registry down) do not return together, and a
 * registry's `Retry-After` wins. The worker hides the message for that long
 * (ChangeMessageVisibility) instead of waiting out the queue's whole visibility timeout.
 */
export interface RedeliveryPolicy {
  /** The delay after the first receive fails; doubled with every further receive. */
  baseMs: number;
  /** No delay is longer (SQS allows 12 hours; the queue's visibility timeout is the useful cap). */
  maxMs: number;
}

export const DEFAULT_REDELIVERY: RedeliveryPolicy = { baseMs: 10_000, maxMs: 900_000 };

/** `random` in [0, 1): the delay is drawn from the upper half of the exponential step ("equal jitter"). */
export function redeliveryDelayMs(policy: RedeliveryPolicy, receiveCount: number, random: () => number, retryAfterMs?: number): number {
  if (retryAfterMs !== undefined) return Math.min(policy.maxMs, Math.max(0, retryAfterMs));
  const step = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, receiveCount - 1));
  return Math.round(step / 2 + (step / 2) * random());
}
