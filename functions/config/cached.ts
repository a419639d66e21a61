/**
 * A value read now and again after `ttlMs`, so a rotated secret reaches warm functions without a
 * redeploy. The same object is returned until a read brings a new one: callers rebuild what
 * depends on it only when it changed. Concurrent callers share one read. A failed re-read keeps
 * the previous value (Secrets Manager briefly unreachable must not stop the service) and is
 * tried again after `retryMs`; a failed first read throws.
 */
import type { Logger } from '../../shared/log.ts';

export interface CachedOptions<T> {
  read: () => Promise<T>;
  ttlMs: number;
  retryMs?: number;
  now?: () => number;
  logger: Logger;
  what: string;
}

export const DEFAULT_RETRY_MS = 10_000;

export function createCached<T>(options: CachedOptions<T>): () => Promise<T> {
  const now = options.now ?? Date.now;
  let value: { data: T } | undefined;
  let expiresAt = 0;
  let reading: Promise<T> | undefined;
  const refresh = async (): Promise<T> => {
    try {
      const data = await options.read();
      value = { data };
      expiresAt = now() + options.ttlMs;
      return data;
    } catch (error) {
      if (value === undefined) throw error;
      options.logger.warn('configuration refresh failed, keeping the previous value', { what: options.what, error: (error as Error).message });
      expiresAt = now() + Math.min(options.ttlMs, options.retryMs ?? DEFAULT_RETRY_MS);
      return value.data;
    } finally {
      reading = undefined;
    }
  };
  return async function get() {
    if (value !== undefined && now() < expiresAt) return value.data;
    reading ??= refresh();
    return reading;
  };
}

/** `build(value)` again only when `get()` returns a different value than last time. */
export function rebuildOnChange<T, R>(get: () => Promise<T>, build: (value: T) => R): () => Promise<R> {
  let last: { input: T; output: R } | undefined;
  return async function current() {
    const input = await get();
    if (last === undefined || last.input !== input) last = { input, output: build(input) };
    return last.output;
  };
}
