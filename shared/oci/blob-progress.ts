/**
 * Progress of blob uploads that stopped at a deadline, and the ledger a copy keeps of them.
 * A saved entry holds what the next invocation needs to go on: the upload session's location
 * (registries may keep state in its query string; never a credential), the offset committed
 * there, and the digest state after exactly those bytes.
 */
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';

export const BlobProgress = z.strictObject({
  digest: z.string().min(1),
  size: z.number().int().nonnegative(),
  location: z.string().url(),
  offset: z.number().int().nonnegative(),
  hashState: z.string().min(1),
});
export type BlobProgress = z.infer<typeof BlobProgress>;

/**
 * A transfer stopped with its progress saved (at its deadline; a subclass names another cause):
 * not a failure, and not retried in place; the next run goes on from the saved progress.
 */
export class TransferPausedError extends CrossdockError {
  constructor(what: string, code: 'TRANSFER_PAUSED' | 'LINK_SLOT_LOST' = 'TRANSFER_PAUSED', why = 'stopped at the deadline, progress saved') {
    super(code, `${what}: ${why}`, { retryable: true });
  }
}

export interface TransferLedgerOptions {
  /** Progress saved by an earlier invocation. */
  saved?: readonly BlobProgress[];
  /** Epoch ms at which resumable transfers stop and save their progress. */
  stopAt: number;
  now?: () => number;
}

/**
 * One copy's resumable transfers: hands out saved progress (once per blob), stops the transfers
 * at `stopAt`, and collects what they saved.
 */
export class TransferLedger {
  readonly #saved: Map<string, BlobProgress>;
  readonly #paused = new Map<string, BlobProgress>();
  readonly #running = new Set<Promise<unknown>>();
  readonly #now: () => number;
  #stopAt: number;
  readonly stopped: Promise<void>;
  #timer: NodeJS.Timeout | undefined;
  #stop: (() => void) | undefined;

  constructor(options: TransferLedgerOptions) {
    this.#saved = new Map((options.saved ?? []).map((p) => [p.digest, p]));
    this.#now = options.now ?? Date.now;
    this.#stopAt = options.stopAt;
    this.stopped = new Promise((resolve) => {
      this.#stop = resolve;
      this.#timer = setTimeout(resolve, Math.max(0, this.#stopAt - this.#now()));
      this.#timer.unref();
    });
  }

  /** Stops the transfers now rather than at the stop time. */
  stop(): void {
    this.#stopAt = Math.min(this.#stopAt, this.#now());
    this.#stop?.();
  }

  get isStopped(): boolean {
    return this.#now() >= this.#stopAt;
  }

  /** The saved progress of a blob, handed out once: a retry after a failure starts afresh. */
  take(digest: string): BlobProgress | undefined {
    const saved = this.#saved.get(digest);
    this.#saved.delete(digest);
    return saved;
  }

  /** Tracks a transfer so that `settled()` waits for it. */
  track<T>(transfer: Promise<T>): Promise<T> {
    this.#running.add(transfer);
    const forget = () => this.#running.delete(transfer);
    transfer.then(forget, forget);
    return transfer;
  }

  pause(progress: BlobProgress): void {
    this.#paused.set(progress.digest, progress);
  }

  /** Resolves once every tracked transfer has finished, paused or failed. */
  async settled(): Promise<void> {
    while (this.#running.size > 0) await Promise.allSettled([...this.#running]);
  }

  /** What the next invocation continues from: paused now, or saved and not reached this time. */
  progress(): BlobProgress[] {
    return [...new Map([...this.#saved, ...this.#paused]).values()];
  }

  close(): void {
    clearTimeout(this.#timer);
  }
}
