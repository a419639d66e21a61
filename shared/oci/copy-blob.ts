/**
 * Copying one blob, the regclient way: HEAD the destination → mount from a repository of the
 * same registry that has it (a refused mount falls back to an upload) → stream GET into the
 * upload, hashed and counted on the way. The transport cannot replay a streamed body, so the
 * whole blob copy is the unit of retry: this layer owns it, and every request inside is sent with
 * `retry: 'never'` (one failing step is tried the policy's number of times, never that squared).
 * A failed upload is cancelled. A blob that several concurrent images need in the same
 * repository is uploaded once.
 */
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { CrossdockError, DeadlineExceededError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { cancelUpload, commitUpload, headBlob, openBlob, patchBlob, putBlobChunked, startUpload, type UploadSession, type UploadStart } from './blobs.ts';
import { retryDecision, type CallOptions, type RegistryClient } from './client.ts';
import { TransferPausedError, type TransferLedger } from './blob-progress.ts';
import { Limiter } from './limiter.ts';
import type { Descriptor } from './manifest-schema.ts';
import { RegistryError, RegistryUnreachableError } from './registry-error.ts';
import { canResume, reopenSession, transferResumable, type ResumePoint } from './resumable-transfer.ts';
import { BlobDigestMismatchError, BlobSizeMismatchError, VerifyingStream } from './verify-stream.ts';

const MAX_HOLDERS = 100_000;

/**
 * Reads of a source blob whose bytes do not match its descriptor before the copy fails for good:
 * one bad read may be a broken cache or connection; the same mismatch again will not heal, and
 * each try costs the whole blob.
 */
export const MAX_SOURCE_READS = 3;

export type BlobOutcome = 'copied' | 'skipped' | 'mounted' | 'planned';

export interface BlobEndpoint {
  client: RegistryClient;
  repository: string;
}

export interface BlobCopyOptions extends CallOptions {
  dryRun?: boolean;
  /** The destination repository is known to be empty: skip the HEAD that would find nothing. */
  assumeAbsent?: boolean;
  onBytes?: (n: number) => void;
  /**
   * Large blobs become resumable: they stop at the ledger's stop time with their progress saved
   * there (TransferPausedError), and go on from progress it saved earlier.
   */
  ledger?: TransferLedger;
  /** Awaited before each chunk goes on (a bandwidth cap). */
  pace?: (bytes: number) => Promise<void>;
}

export interface BlobCopierOptions {
  /** Blob transfers in flight at once, across all images. */
  concurrency: number;
  logger: Logger;
}

export class BlobCopier {
  readonly #limiter: Limiter;
  readonly #logger: Logger;
  /** In-flight copies by `registry/repository@digest`. */
  readonly #copies = new Map<string, Promise<BlobOutcome>>();
  /** `registry/repository@digest` of blobs this process put or found at a destination. */
  readonly #present = new Set<string>();
  /** Per destination registry: a repository known to hold each digest, to mount from. */
  readonly #holders = new Map<string, Map<string, string>>();

  constructor(options: BlobCopierOptions) {
    this.#limiter = new Limiter(options.concurrency);
    this.#logger = options.logger;
  }

  /** Records that a repository holds a blob, making it a mount source for later copies. */
  noteHolder(registry: string, repository: string, digest: string): void {
    this.#present.add(`${registry}/${repository}@${digest}`);
    // Bounded for long-running processes: forget the oldest (a miss only costs a HEAD).
    if (this.#present.size > MAX_HOLDERS) this.#present.delete(this.#present.values().next().value!);
    let holders = this.#holders.get(registry);
    if (!holders) this.#holders.set(registry, (holders = new Map()));
    if (holders.has(digest)) return;
    holders.set(digest, repository);
    // Bounded for long-running processes: forget the oldest (a missed mount only costs an upload).
    if (holders.size > MAX_HOLDERS) holders.delete(holders.keys().next().value!);
  }

  copy(source: BlobEndpoint, destination: BlobEndpoint, descriptor: Descriptor, options: BlobCopyOptions = {}): Promise<BlobOutcome> {
    const where = `${destination.client.registry}/${destination.repository}@${descriptor.digest}`;
    if (this.#present.has(where)) return Promise.resolve('skipped');
    const key = `${where}${options.dryRun ? '#plan' : ''}`;
    const earlier = this.#copies.get(key);
    // Another image moved (or is moving) this blob: for this one it is already there.
    if (earlier) return earlier.then(() => 'skipped');
    const copy = this.#limiter.run(() => this.#copyWithRetry(source, destination, descriptor, options));
    this.#copies.set(key, copy);
    // Only in-flight copies are shared; a finished one is found by HEAD, a failed one tried again.
    const forget = () => this.#copies.delete(key);
    copy.then(forget, forget);
    return copy;
  }

  async #copyWithRetry(source: BlobEndpoint, destination: BlobEndpoint, descriptor: Descriptor, options: BlobCopyOptions): Promise<BlobOutcome> {
    const what = `copy blob ${descriptor.digest} ${source.client.registry}/${source.repository} → ${destination.client.registry}/${destination.repository}`;
    let mismatches = 0;
    const attempt = { resumedAt: 0 };
    const copy = destination.client.retrying(
      what,
      options,
      () => this.#copyOnce(source, destination, descriptor, options, what, attempt),
      (error) => {
        if (error instanceof TransferPausedError) return { retryable: false };
        // A mismatch after a resume point is final: which side of it was wrong cannot be told,
        // and reading the blob afresh costs every invocation spent on it so far.
        if (error instanceof BlobDigestMismatchError && attempt.resumedAt > 0) return { retryable: false };
        if (error instanceof BlobDigestMismatchError || error instanceof BlobSizeMismatchError) return { retryable: ++mismatches < MAX_SOURCE_READS };
        return retryDecision(error);
      },
      ({ attempt, delayMs, error }) =>
        this.#logger.warn('blob copy retry', { digest: descriptor.digest, attempt, delay_ms: delayMs, error: (error as Error).message }),
    );
    return options.ledger && canResume(descriptor, destination) ? options.ledger.track(copy) : copy;
  }

  async #copyOnce(source: BlobEndpoint, destination: BlobEndpoint, descriptor: Descriptor, options: BlobCopyOptions, what: string, attempt: { resumedAt: number }): Promise<BlobOutcome> {
    const { client: dst, repository: dstRepo } = destination;
    // #copyWithRetry owns the retry of every request below.
    const call: CallOptions = { ...(options.deadline ? { deadline: options.deadline } : {}), ...(options.signal ? { signal: options.signal } : {}), retry: 'never' };
    const existing = options.assumeAbsent ? undefined : await headBlob(dst, dstRepo, descriptor.digest, { ...call, push: !options.dryRun });
    if (existing !== undefined) {
      this.noteHolder(dst.registry, dstRepo, descriptor.digest);
      this.#logger.debug('blob exists', { digest: descriptor.digest, repository: dstRepo });
      return 'skipped';
    }
    if (options.dryRun) return 'planned';

    const ledger = options.ledger && canResume(descriptor, destination) ? options.ledger : undefined;
    let resumed: ResumePoint | undefined;
    if (ledger) {
      const saved = ledger.take(descriptor.digest);
      if (saved) resumed = await reopenSession(destination, saved, call, this.#logger);
      // Past the stop time nothing new begins: the next invocation starts it.
      else if (ledger.isStopped) throw new TransferPausedError(what);
    }
    attempt.resumedAt = resumed?.offset ?? 0;
    if (resumed) return this.#transferResumably(source, destination, descriptor, resumed, ledger!, options, call, what);

    let start: UploadStart | undefined;
    const from = this.#mountSource(source, destination, descriptor.digest);
    if (from !== undefined) {
      start = await this.#tryMount(dst, dstRepo, descriptor, from, call);
      if (start?.kind === 'mounted') {
        this.noteHolder(dst.registry, dstRepo, descriptor.digest);
        this.#logger.info('blob mounted', { digest: descriptor.digest, size: descriptor.size, repository: dstRepo, from });
        return 'mounted';
      }
    }
    start ??= await startUpload(dst, dstRepo, call);
    if (start.kind === 'mounted') return 'mounted';
    const session: UploadSession = start;
    if (ledger) return this.#transferResumably(source, destination, descriptor, { session, offset: 0 }, ledger, options, call, what);

    const started = Date.now();
    try {
      await this.#transfer(source, destination, session, descriptor, options.onBytes, call, what, options.pace);
    } catch (error) {
      await this.#cancel(dst, dstRepo, session, descriptor.digest, call);
      throw error;
    }
    this.noteHolder(dst.registry, dstRepo, descriptor.digest);
    this.#logger.info('blob uploaded', { digest: descriptor.digest, size: descriptor.size, repository: dstRepo, duration_ms: Date.now() - started, chunked: dst.options.chunkSize !== undefined });
    return 'copied';
  }

  async #transferResumably(source: BlobEndpoint, destination: BlobEndpoint, descriptor: Descriptor, start: ResumePoint, ledger: TransferLedger, options: BlobCopyOptions, call: CallOptions, what: string): Promise<BlobOutcome> {
    const { client: dst, repository: dstRepo } = destination;
    const started = Date.now();
    let outcome: 'committed' | 'paused';
    try {
      outcome = await transferResumable(source, destination, descriptor, start, { ledger, onBytes: options.onBytes, pace: options.pace, call, what });
    } catch (error) {
      await this.#cancel(dst, dstRepo, start.session, descriptor.digest, call);
      throw error;
    }
    if (outcome === 'paused') {
      this.#logger.info('blob upload paused', { digest: descriptor.digest, size: descriptor.size, repository: dstRepo, duration_ms: Date.now() - started });
      throw new TransferPausedError(what);
    }
    this.noteHolder(dst.registry, dstRepo, descriptor.digest);
    this.#logger.info('blob uploaded', { digest: descriptor.digest, size: descriptor.size, repository: dstRepo, duration_ms: Date.now() - started, resumed_at: start.offset });
    return 'copied';
  }

  /**
   * Asks for a cross-repository mount. 201 is the blob, 202 an upload session to use; any other
   * answer (registries refuse mounts for policy, scope or lack of support) falls back to a plain
   * upload, as go-containerregistry and regclient do.
   */
  async #tryMount(dst: RegistryClient, dstRepo: string, descriptor: Descriptor, from: string, call: CallOptions): Promise<UploadStart | undefined> {
    try {
      return await startUpload(dst, dstRepo, { ...call, mount: { digest: descriptor.digest, from } });
    } catch (error) {
      if (!(error instanceof CrossdockError) || error instanceof DeadlineExceededError || call.signal?.aborted) throw error;
      this.#logger.info('blob mount refused', { digest: descriptor.digest, repository: dstRepo, from, error: error.message });
      return undefined;
    }
  }

  /** Streams the source blob into the open session, verified on the way, and commits it. */
  async #transfer(source: BlobEndpoint, destination: BlobEndpoint, session: UploadSession, descriptor: Descriptor, onBytes: ((n: number) => void) | undefined, call: CallOptions, what: string, pace?: (bytes: number) => Promise<void>): Promise<void> {
    const { client: dst, repository: dstRepo } = destination;
    const body = await openBlob(source.client, source.repository, descriptor.digest, call);
    const verifier = new VerifyingStream(descriptor.digest, descriptor.size, what, onBytes);
    const feeding = pace ? pipeline(body, paced(pace), verifier) : pipeline(body, verifier);
    const chunkSize = dst.options.chunkSize;
    const upload = chunkSize
      ? putBlobChunked(dst, dstRepo, session, descriptor.digest, verifier, chunkSize, call)
      : patchBlob(dst, dstRepo, session, Readable.from(endingOnError(verifier)), call);
    const [fed, uploaded] = await Promise.allSettled([feeding, upload]);
    // The source side's failure (digest, size, dropped connection) explains the upload's end,
    // unless the destination gave out first and took the stream with it. A body cut mid-stream
    // comes from undici untranslated: a network failure, and the whole blob copy may be retried.
    if (fed.status === 'rejected') {
      if (fed.reason instanceof CrossdockError || call.signal?.aborted) throw fed.reason;
      if (uploaded.status === 'rejected' && uploaded.reason instanceof CrossdockError) throw uploaded.reason;
      throw new RegistryUnreachableError(`${what}: reading the source`, fed.reason);
    }
    if (uploaded.status === 'rejected') throw uploaded.reason;
    if (!chunkSize) await commitUpload(dst, dstRepo, session, descriptor.digest, call);
  }

  /**
   * Cancels a failed upload at its current location, so its bytes do not stay on the
   * destination until the registry purges them (Distribution: after a week).
   */
  async #cancel(dst: RegistryClient, dstRepo: string, session: UploadSession, digest: string, call: CallOptions): Promise<void> {
    // A cancel is an operation of its own (its failure only leaves bytes behind): the client retries it.
    const { retry: _owned, ...own } = call;
    try {
      await cancelUpload(dst, dstRepo, session, own);
      this.#logger.debug('upload cancelled', { digest, repository: dstRepo });
    } catch (error) {
      if (error instanceof RegistryError && error.status === 404 && error.ociCodes.includes('BLOB_UPLOAD_UNKNOWN')) return;
      this.#logger.warn('upload cancel refused', { digest, repository: dstRepo, error: error instanceof Error ? error.message : String(error) });
    }
  }

  /** A repository on the destination registry to mount from: the source itself, or one we filled. */
  #mountSource(source: BlobEndpoint, destination: BlobEndpoint, digest: string): string | undefined {
    if (source.client === destination.client && source.repository !== destination.repository) return source.repository;
    const holder = this.#holders.get(destination.client.registry)?.get(digest);
    return holder !== undefined && holder !== destination.repository ? holder : undefined;
  }
}

/** Holds each chunk until the pace lets it go. */
function paced(pace: (bytes: number) => Promise<void>): Transform {
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      pace(chunk.length).then(() => callback(null, chunk), callback);
    },
  });
}

/**
 * The verified bytes as an upload body that ENDS when the source fails instead of breaking off:
 * the PATCH then completes and the registry hands back a session it will cancel (Distribution
 * refuses to cancel an upload whose request was cut: its location's offset no longer matches).
 * The verifier holds back the last chunk, so the bytes sent are never a whole blob.
 */
async function* endingOnError(verified: Readable): AsyncGenerator<Buffer> {
  try {
    for await (const chunk of verified) yield chunk as Buffer;
  } catch {
    // The pipeline feeding `verified` rejects with this failure; the caller reports it from there.
  }
}
