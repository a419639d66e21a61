/**
 * Paces a byte stream at a rate that may change while it runs (a task's share of its link's cap).
 * A chunk larger than what the bucket holds is let through at once and paid for afterwards: the
 * bucket goes into debt and the next caller waits it off, so the long-run rate is exact whatever
 * the chunk sizes, and concurrent blob streams of one task share one rate.
 */
export interface PaceClock {
  now(): number;
  /** Resolves after `ms`, or early once `signal` aborts. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const REAL_CLOCK: PaceClock = {
  now: () => performance.now(),
  sleep: (ms, signal) => new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal?.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal?.addEventListener('abort', done, { once: true });
  }),
};

/**
 * What the bucket holds when full: this many seconds at the current rate. Enough to absorb a busy
 * event loop (a wake-up late by less than this loses no rate); a stream starts with an empty
 * bucket, so no task gets a head start.
 */
const BURST_SECONDS = 0.5;
const MIN_BURST_BYTES = 16 * 1024;

export class TokenBucket {
  #rate: number;
  #tokens: number;
  #last: number;
  readonly #clock: PaceClock;

  /** `rate` in bytes per second. */
  constructor(rate: number, clock: PaceClock = REAL_CLOCK) {
    this.#rate = rate;
    this.#clock = clock;
    this.#last = clock.now();
    this.#tokens = 0;
  }

  get rate(): number {
    return this.#rate;
  }

  setRate(rate: number): void {
    this.#refill();
    this.#rate = rate;
    this.#tokens = Math.min(this.#tokens, this.#capacity());
  }

  /** Resolves when `bytes` may go, at the rate in force. */
  async take(bytes: number): Promise<void> {
    this.#refill();
    this.#tokens -= bytes;
    if (this.#tokens < 0) await this.#clock.sleep((-this.#tokens / this.#rate) * 1000);
  }

  #capacity(): number {
    return Math.max(MIN_BURST_BYTES, this.#rate * BURST_SECONDS);
  }

  #refill(): void {
    const now = this.#clock.now();
    this.#tokens = Math.min(this.#capacity(), this.#tokens + ((now - this.#last) / 1000) * this.#rate);
    this.#last = now;
  }
}
