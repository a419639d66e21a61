import type { Logger } from '../../../shared/log.ts';
import { CopyEngine } from '../../../shared/oci/copy.ts';
import { parseReference, type Reference } from '../../../shared/oci/reference.ts';
import type { RegistryOptions } from '../../../shared/oci/registry-options.ts';
import { RegistryDirectory } from '../../../shared/oci/registry-directory.ts';
import { RegistryPool } from '../../../shared/oci/registry-pool.ts';
import type { RetryPolicy, Sleep } from '../../../shared/oci/retry.ts';
import { RegistryClient, type ClientContext } from '../../../shared/oci/client.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients } from '../../support/images.ts';
import { startRegistries, startRegistry, type TestRegistry } from '../../support/registry.ts';

// What the OCI suites share: an engine wired like production from a directory of registry
// options, and a clock whose sleeps return at once and move time forward by what was asked.

/** A retry policy for fault tests: few attempts, tiny delays (sleeps are injected anyway). */
export const FAST_RETRY: RetryPolicy = { attempts: 3, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 5_000 };

export type FakeClock = {
  now: () => number;
  sleep: Sleep;
  /** Every sleep asked for, in milliseconds, in order. */
  sleeps: number[];
};

export function createFakeClock(start = Date.now()): FakeClock {
  let now = start;
  const sleeps: number[] = [];
  return {
    now: () => now,
    sleeps,
    sleep: async (ms) => {
      sleeps.push(ms);
      now += ms;
    },
  };
}

export type EngineOptions = {
  retryPolicy?: RetryPolicy;
  clock?: FakeClock;
  blobConcurrency?: number;
  logger?: Logger;
};

/** A CopyEngine over a fresh RegistryPool; close it with engine.close(). */
export function createEngine(entries: Record<string, RegistryOptions>, options: EngineOptions = {}): CopyEngine {
  const clock = options.clock ?? createFakeClock();
  const pool = new RegistryPool({
    directory: new RegistryDirectory(entries),
    sleep: clock.sleep,
    now: clock.now,
    ...(options.retryPolicy ? { retryPolicy: options.retryPolicy } : {}),
  });
  return new CopyEngine({ pool, ...(options.blobConcurrency ? { blobConcurrency: options.blobConcurrency } : {}), ...(options.logger ? { logger: options.logger } : {}) });
}

/** `host/repository:tag` as the engine takes it. */
export function ref(host: string, repository: string, tag?: string): Reference {
  return parseReference(`${host}/${repository}${tag === undefined ? '' : `:${tag}`}`);
}

/** Closes what a suite opened, in reverse order, whether or not earlier closes failed. */
export function createClosers(): { add(close: () => Promise<unknown>): void; closeAll(): Promise<void> } {
  const closers: Array<() => Promise<unknown>> = [];
  return {
    add: (close) => {
      closers.push(close);
    },
    closeAll: async () => {
      const results = await Promise.allSettled(closers.reverse().map((close) => close()));
      closers.length = 0;
      const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    },
  };
}

type Closers = ReturnType<typeof createClosers>;

/** A source and a destination registry and an engine between them; all closed by `closers`. */
export async function startTwoRegistries(name: string, closers: Closers): Promise<{ src: TestRegistry; dst: TestRegistry; engine: CopyEngine }> {
  const [src, dst] = (await startRegistries(2, { name })) as [TestRegistry, TestRegistry];
  closers.add(() => src.close());
  closers.add(() => dst.close());
  const engine = createEngine({});
  closers.add(() => engine.close());
  return { src, dst, engine };
}

/**
 * A source and a destination registry, each behind its own fault proxy (for the faults and
 * request counts a real registry will not give); all closed by `closers`.
 */
export async function startProxiedPair(name: string, closers: Closers): Promise<{ src: TestRegistry; dst: TestRegistry; proxy: FaultProxy; dstProxy: FaultProxy }> {
  const [src, dst] = (await startRegistries(2, { name })) as [TestRegistry, TestRegistry];
  closers.add(() => src.close());
  closers.add(() => dst.close());
  const proxy = await startFaultProxy(src.url);
  closers.add(() => proxy.close());
  const dstProxy = await startFaultProxy(dst.url);
  closers.add(() => dstProxy.close());
  return { src, dst, proxy, dstProxy };
}

/** One registry, a fault proxy in front of it, and a client for each; all closed by `closers`. */
export async function startProxiedRegistry(
  name: string,
  closers: Closers,
  context: Omit<ClientContext, 'directory'> = {},
): Promise<{ reg: TestRegistry; proxy: FaultProxy; client: RegistryClient; proxied: RegistryClient }> {
  const reg = await startRegistry({ name });
  closers.add(() => reg.close());
  const proxy = await startFaultProxy(reg.url);
  closers.add(() => proxy.close());
  const client = new RegistryClient(reg.host, {}, context);
  const proxied = new RegistryClient(proxy.host, {}, context);
  closers.add(() => client.close());
  closers.add(() => proxied.close());
  return { reg, proxy, client, proxied };
}

/** What every suite's `after` does: close what it opened and the test-support clients. */
export async function closeSuite(closers: Closers): Promise<void> {
  await closers.closeAll();
  await closeRegistryClients();
}
