/**
 * Live progress of one task's copy: bytes and blobs done against what is known so far, and the
 * rate over the last report interval. Written to the record every few seconds while the task
 * runs, never for a copy that finishes within its first interval (write cost stays bounded).
 */
import type { Logger } from '../log.ts';
import type { TaskProgress } from './task.ts';
import type { TaskStore } from './task-store.ts';

export const PROGRESS_INTERVAL_MS = 5_000;
/**
 * Less than this left to move: no write. Small images on a busy machine can outlast the first
 * interval (bench:capacity at a load average of 40 did), and their record is written soon anyway.
 */
export const PROGRESS_MIN_REMAINING = 1024 * 1024;

export class ProgressMeter {
  #bytesDone = 0;
  #bytesTotal = 0;
  #blobsDone = 0;
  #blobsTotal = 0;
  #lastBytes = 0;
  #lastAt: number;
  readonly #initial: number;
  readonly #now: () => number;

  /** `alreadyDone`: bytes an earlier invocation left committed at the destination. */
  constructor(now: () => number = Date.now, alreadyDone = 0) {
    this.#now = now;
    this.#lastAt = now();
    this.#bytesDone = alreadyDone;
    this.#lastBytes = alreadyDone;
    this.#initial = alreadyDone;
  }

  /** Blob bytes moved by this invocation. */
  get movedBytes(): number {
    return this.#bytesDone - this.#initial;
  }

  readonly onBytes = (n: number): void => {
    this.#bytesDone += n;
  };

  readonly onBlob = (event: { size: number; phase: 'start' | 'done' }): void => {
    if (event.phase === 'start') {
      this.#blobsTotal++;
      this.#bytesTotal += event.size;
    } else this.#blobsDone++;
  };

  /** The progress now; the rate is over the time since the previous snapshot. */
  snapshot(): TaskProgress {
    const at = this.#now();
    const seconds = Math.max(0.001, (at - this.#lastAt) / 1000);
    const rate = Math.max(0, Math.round((this.#bytesDone - this.#lastBytes) / seconds));
    this.#lastAt = at;
    this.#lastBytes = this.#bytesDone;
    return {
      bytesDone: this.#bytesDone,
      bytesTotal: Math.max(this.#bytesTotal, this.#bytesDone),
      blobsDone: this.#blobsDone,
      blobsTotal: this.#blobsTotal,
      bytesPerSecond: rate,
      updatedAt: new Date(at).toISOString(),
    };
  }
}

/**
 * Writes the meter's snapshot every `intervalMs` until stopped, only while blob bytes are moving
 * (at least PROGRESS_MIN_REMAINING of the blobs reached is still to move, and bytes arrived since
 * the last write): a small image slowed by a busy registry writes nothing. A failed write is
 * logged, not fatal.
 */
export function reportProgress(store: TaskStore, taskId: string, meter: ProgressMeter, logger: Logger, intervalMs = PROGRESS_INTERVAL_MS): { stop(): void } {
  let writing = false;
  let written = -1;
  const timer = setInterval(() => {
    if (writing) return;
    const progress = meter.snapshot();
    if (progress.bytesTotal - progress.bytesDone < PROGRESS_MIN_REMAINING || progress.bytesDone === written) return;
    writing = true;
    written = progress.bytesDone;
    store.updateProgress(taskId, progress)
      .catch((error: unknown) => logger.warn('progress not recorded', { error: (error as Error).message }))
      .finally(() => (writing = false));
  }, intervalMs);
  timer.unref();
  return { stop: () => clearInterval(timer) };
}
