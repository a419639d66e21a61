/**
 * One running task's place on a link: it holds the task's lease, renews it every RENEW_MS, and
 * each time sets the task's pace to the cap divided by the link's running tasks (read from the
 * shared state, so every worker divides by the same number). A task that joins others holds its
 * first byte until each of them has renewed and slowed to the share that counts it (about
 * RENEW_MS; it reads the state every JOIN_POLL_SHARE of that meanwhile), so the link's cap holds
 * while tasks join; a task that ends frees its share for the others at their next renewal.
 * Stopping frees the slot at once; a worker that dies frees it when the lease runs out.
 */
import { TransferPausedError } from '../oci/blob-progress.ts';
import type { Logger } from '../log.ts';
import { RENEW_MS, type LinkSlots } from './link-slots.ts';
import { REAL_CLOCK, TokenBucket, type PaceClock } from './token-bucket.ts';

export interface LinkSessionOptions {
  slots: LinkSlots;
  linkId: string;
  taskId: string;
  owner: string;
  /** Bytes per second for the whole link; absent: the lease only counts the task. */
  maxBandwidth?: number;
  /** Running tasks when the slot was granted, this one included. */
  running: number;
  logger: Logger;
  clock?: PaceClock;
  renewMs?: number;
}

/** How often, as a share of the renewal period, a joining task reads whether the others saw it. */
export const JOIN_POLL_SHARE = 0.25;

/**
 * The task's lease ran out (its worker was starved past LEASE_MS): it stops, and runs again. A
 * pause, as at a deadline: resumable uploads keep their committed offset for the next run.
 */
export class LinkSlotLostError extends TransferPausedError {
  constructor(linkId: string) {
    super(`link ${linkId}`, 'LINK_SLOT_LOST', 'this task\'s slot lease ran out before it was renewed; the task stops, keeping its resumable progress, and runs again');
  }
}

export interface LinkSession {
  /**
   * Awaited before each chunk of blob bytes goes on: paces to the task's share of the cap, and
   * throws LinkSlotLostError once the lease is lost, so no task runs on a slot it no longer holds.
   */
  pace: (bytes: number) => Promise<void>;
  /** The share of the cap this task has now, bytes per second. */
  share(): number | undefined;
  /** Called once when the slot is lost: the caller stops its resumable transfers (saving their progress). */
  onLost(listener: () => void): void;
  stop(): Promise<void>;
}

export function startLinkSession(options: LinkSessionOptions): LinkSession {
  const { slots, linkId, taskId, owner, maxBandwidth, logger } = options;
  const clock = options.clock ?? REAL_CLOCK;
  const renewMs = options.renewMs ?? RENEW_MS;
  const stopping = new AbortController();
  const stopped = new Promise<void>((resolve) => stopping.signal.addEventListener('abort', () => resolve(), { once: true }));
  const nap = (ms: number) => Promise.race([clock.sleep(ms, stopping.signal), stopped]);
  let running = options.running;
  let lost = false;
  const lostListeners: Array<() => void> = [];
  const markLost = () => {
    if (lost) return;
    lost = true;
    logger.warn('link lease lost', { link_id: linkId });
    for (const listener of lostListeners.splice(0)) listener();
  };
  // Made at the first byte, empty: time spent before it (the join, HEADs, manifests) earns no burst.
  let bucket: TokenBucket | undefined;
  const share = () => (maxBandwidth === undefined ? undefined : maxBandwidth / Math.max(1, running));

  const joining = (async () => {
    if (options.running <= 1 || maxBandwidth === undefined) return;
    const started = clock.now();
    while (!stopping.signal.aborted && !lost) {
      await nap(renewMs * JOIN_POLL_SHARE);
      if (stopping.signal.aborted || lost) break;
      try {
        const answer = await slots.joined(linkId, taskId, owner);
        if (answer === 'lost') {
          markLost();
          break;
        }
        if (answer.ready) {
          running = answer.running;
          logger.debug('link joined', { link_id: linkId, running, share: Math.round(share()!), waited_ms: Math.round(clock.now() - started) });
          break;
        }
      } catch (error) {
        // The store is briefly unavailable: ask again; the others keep their share meanwhile.
        logger.warn('link join not read', { link_id: linkId, error: (error as Error).message });
      }
    }
  })();

  const renewals = (async () => {
    while (!stopping.signal.aborted) {
      await nap(renewMs);
      if (stopping.signal.aborted) break;
      try {
        const now = await slots.renew(linkId, taskId, owner);
        if (now === 'lost') {
          markLost();
          break;
        }
        if (now !== running) logger.debug('link share changed', { link_id: linkId, running: now, share: maxBandwidth === undefined ? undefined : Math.round(maxBandwidth / now) });
        running = now;
        bucket?.setRate(share()!);
      } catch (error) {
        // The store is briefly unavailable: keep the last share; the lease outlives a few misses.
        logger.warn('link lease not renewed', { link_id: linkId, error: (error as Error).message });
      }
    }
  })();

  return {
    pace: async (bytes: number) => {
      if (maxBandwidth !== undefined && bucket === undefined) {
        await joining;
        if (lost) throw new LinkSlotLostError(linkId);
        bucket ??= new TokenBucket(share()!, clock);
      }
      if (lost) throw new LinkSlotLostError(linkId);
      if (bucket) await bucket.take(bytes);
    },
    share: () => bucket?.rate ?? share(),
    onLost(listener) {
      if (lost) listener();
      else lostListeners.push(listener);
    },
    async stop() {
      stopping.abort();
      await Promise.all([renewals, joining]);
      await slots.release(linkId, taskId, owner);
    },
  };
}

