/**
 * Retries with exponential backoff and equal jitter, the way undici's RetryHandler and regclient
 * do: 408/429/5xx and socket errors, `Retry-After` (seconds or HTTP date) wins, a per-host
 * "not before" shared by every concurrent request, and no sleep past the caller's deadline.
 * Which layer retries an operation is the caller's explicit choice (`retry` in CallOptions).
 */
import { DeadlineExceededError } from '../errors.ts';

export interface RetryPolicy {
  /** Attempts in all, the first included. */
  attempts: number;
  baseDelayMs: number;
  maxDelayMs: number;
  /** Longest `Retry-After` we accept before giving up on the attempt instead of waiting. */
  maxRetryAfterMs: number;
}

export const DEFAULT_RETRY_POLICY: RetryPolicy = { attempts: 5, baseDelayMs: 250, maxDelayMs: 8_000, maxRetryAfterMs: 120_000 };

export type Sleep = (ms: number, signal?: AbortSignal) => Promise<void>;

export const realSleep: Sleep = (ms, signal) =>
  new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    signal?.addEventListener('abort', onAbort, { once: true });
  });

/** Parses `Retry-After`: delta-seconds or an HTTP date. Returns milliseconds, or undefined. */
export function parseRetryAfter(value: string | string[] | undefined, now: number = Date.now()): number | undefined {
  const text = Array.isArray(value) ? value[0] : value;
  if (text === undefined || text.trim() === '') return undefined;
  if (/^\s*\d+\s*$/.test(text)) return Number(text) * 1000;
  // Every HTTP-date form starts with a day name (RFC 9110 §5.6.7); Date.parse alone would read
  // "1.5" or "-5" as dates in 2001, i.e. "retry now", overriding our backoff.
  if (!/^\s*[A-Za-z]{3}/.test(text)) return undefined;
  const date = Date.parse(text);
  if (Number.isNaN(date)) return undefined;
  return Math.max(0, date - now);
}

/**
 * Backoff for the given attempt (1-based): equal jitter, a draw from the upper half of an
 * exponential ceiling. Not full jitter (anywhere in [0, ceiling]): a registry that just answered
 * 503 gets at least half the step before we come back, while the draw still spreads the copies
 * that failed together. The worker's redelivery backoff draws the same way.
 */
export function backoffDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const ceiling = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** (attempt - 1));
  return Math.round(ceiling / 2 + (random() * ceiling) / 2);
}

/**
 * Per-host pacing shared by all requests to a host: when one request is told to wait
 * (429 + Retry-After), the others wait too instead of hammering the registry.
 */
export class HostBackoff {
  readonly #notBefore = new Map<string, number>();
  constructor(private readonly now: () => number = Date.now) {}

  delay(host: string, ms: number): void {
    const until = this.now() + ms;
    if ((this.#notBefore.get(host) ?? 0) < until) this.#notBefore.set(host, until);
  }

  /** Milliseconds to wait before the next request to the host. */
  remaining(host: string): number {
    const until = this.#notBefore.get(host);
    if (until === undefined) return 0;
    const left = until - this.now();
    if (left <= 0) this.#notBefore.delete(host);
    return Math.max(0, left);
  }
}

export interface RetryContext {
  policy: RetryPolicy;
  sleep: Sleep;
  /** Epoch milliseconds after which no attempt may start or sleep end. */
  deadline?: number;
  now?: () => number;
  signal?: AbortSignal;
  random?: () => number;
}

/** Waits `ms`, or throws DeadlineExceeded if the wait would end past the deadline. */
export async function sleepWithinDeadline(ms: number, ctx: RetryContext, what: string, cause?: unknown): Promise<void> {
  const now = (ctx.now ?? Date.now)();
  if (ctx.deadline !== undefined && now + ms > ctx.deadline) throw new DeadlineExceededError(what, cause);
  if (ms > 0) await ctx.sleep(ms, ctx.signal);
}

export interface RetryDecision {
  retryable: boolean;
  retryAfterMs?: number;
}

/**
 * Runs `attempt` until it succeeds, a non-retryable error is thrown, attempts run out or the
 * deadline would be passed. `classify` says whether an error may be retried and how long the
 * server asked us to wait.
 */
export async function retry<T>(
  what: string,
  ctx: RetryContext,
  attempt: (n: number) => Promise<T>,
  classify: (error: unknown) => RetryDecision,
  onRetry?: (info: { attempt: number; delayMs: number; error: unknown }) => void,
): Promise<T> {
  for (let n = 1; ; n++) {
    try {
      return await attempt(n);
    } catch (error) {
      const decision = classify(error);
      if (!decision.retryable || n >= ctx.policy.attempts || ctx.signal?.aborted) throw error;
      if (decision.retryAfterMs !== undefined && decision.retryAfterMs > ctx.policy.maxRetryAfterMs) throw error;
      // The server's Retry-After wins over our own backoff.
      const delayMs = decision.retryAfterMs ?? backoffDelay(ctx.policy, n, ctx.random);
      onRetry?.({ attempt: n, delayMs, error });
      await sleepWithinDeadline(delayMs, ctx, what, error);
    }
  }
}
