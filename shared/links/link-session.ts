/**
 * One running task's place on a link: it holds the task's lease, renews it every RENEW_MS, and
 * each time sets the task's pace to the cap divided by the link's running tasks (read from the
 * shared state, so every worker divides by the same number). Stopping frees the slot at once;
 * a worker that dies frees it when the lease runs out.
 */
import { CrossdockError } from '../errors.ts';
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

/** The task's lease ran out (its worker was starved past LEASE_MS): it stops, and runs again. */
export class LinkSlotLostError extends CrossdockError {
  constructor(linkId: string) {
    super('LINK_SLOT_LOST', `link ${linkId}: this task's slot lease ran out before it was renewed; the task stops and runs again`);
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
  stop(): Promise<void>;
}

export function startLinkSession(options: LinkSessionOptions): LinkSession {
  const { slots, linkId, taskId, owner, maxBandwidth, logger } = options;
  const clock = options.clock ?? REAL_CLOCK;
  const bucket = maxBandwidth === undefined ? undefined : new TokenBucket(maxBandwidth / Math.max(1, options.running), clock);
  const stopping = new AbortController();
  let running = options.running;
  let lost = false;

  const renewals = (async () => {
    while (!stopping.signal.aborted) {
      await abortableSleep(options.renewMs ?? RENEW_MS, stopping.signal);
      if (stopping.signal.aborted) break;
      try {
        const now = await slots.renew(linkId, taskId, owner);
        if (now === 'lost') {
          lost = true;
          logger.warn('link lease lost', { link_id: linkId });
          break;
        }
        if (now !== running) logger.debug('link share changed', { link_id: linkId, running: now, share: maxBandwidth === undefined ? undefined : Math.round(maxBandwidth / now) });
        running = now;
        bucket?.setRate(maxBandwidth! / Math.max(1, running));
      } catch (error) {
        // The store is briefly unavailable: keep the last share; the lease outlives a few misses.
        logger.warn('link lease not renewed', { link_id: linkId, error: (error as Error).message });
      }
    }
  })();

  return {
    pace: async (bytes: number) => {
      if (lost) throw new LinkSlotLostError(linkId);
      if (bucket) await bucket.take(bytes);
    },
    share: () => bucket?.rate,
    async stop() {
      stopping.abort();
      await renewals;
      await slots.release(linkId, taskId, owner);
    },
  };
}

function abortableSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done);
  });
}
