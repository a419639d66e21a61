/**
 * Copying one blob, the regclient way: HEAD the destination → mount from a repository of the
 * same registry that has it → stream GET into the upload, hashed and counted on the way. The
 * transport never replays a streamed body; the whole blob copy is retried instead. A blob that
 * several concurrent images need in the same repository is uploaded once.
 */
import { pipeline } from 'node:stream/promises';
import { CrossdockError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { cancelUpload, headBlob, openBlob, putBlob, putBlobChunked, startUpload, type UploadStart } from './blobs.ts';
import { retriedByTransport, type CallOptions, type RegistryClient } from './client.ts';
import { Limiter } from './limiter.ts';
import type { Descriptor } from './manifest.ts';
import { RegistryUnreachableError } from './registry-error.ts';
import { retry } from './retry.ts';
import { VerifyingStream } from './verify-stream.ts';

const MAX_HOLDERS = 100_000;

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
    return retry(
      what,
      destination.client.retryContext(options),
      () => this.#copyOnce(source, destination, descriptor, options, what),
      (error) => ({ retryable: error instanceof CrossdockError && error.retryable && !retriedByTransport(error) }),
      ({ attempt, delayMs, error }) =>
        this.#logger.warn('blob copy retry', { digest: descriptor.digest, attempt, delay_ms: delayMs, error: (error as Error).message }),
    );
  }

  async #copyOnce(source: BlobEndpoint, destination: BlobEndpoint, descriptor: Descriptor, options: BlobCopyOptions, what: string): Promise<BlobOutcome> {
    const { client: dst, repository: dstRepo } = destination;
    const call: CallOptions = { ...(options.deadline ? { deadline: options.deadline } : {}), ...(options.signal ? { signal: options.signal } : {}) };
    const existing = options.assumeAbsent ? undefined : await headBlob(dst, dstRepo, descriptor.digest, { ...call, push: !options.dryRun });
    if (existing !== undefined) {
      this.noteHolder(dst.registry, dstRepo, descriptor.digest);
      this.#logger.debug('blob exists', { digest: descriptor.digest, repository: dstRepo });
      return 'skipped';
    }
    if (options.dryRun) return 'planned';

    let start: UploadStart | undefined;
    const from = this.#mountSource(source, destination, descriptor.digest);
    if (from !== undefined) {
      start = await startUpload(dst, dstRepo, { ...call, mount: { digest: descriptor.digest, from } });
      if (start.kind === 'mounted') {
        this.noteHolder(dst.registry, dstRepo, descriptor.digest);
        this.#logger.info('blob mounted', { digest: descriptor.digest, size: descriptor.size, repository: dstRepo, from });
        return 'mounted';
      }
    }
    start ??= await startUpload(dst, dstRepo, call);
    if (start.kind === 'mounted') return 'mounted';
    const session = start;

    const started = Date.now();
    try {
      const body = await openBlob(source.client, source.repository, descriptor.digest, call);
      const verifier = new VerifyingStream(descriptor.digest, descriptor.size, what, options.onBytes);
      const feeding = pipeline(body, verifier);
      const chunkSize = dst.options.chunkSize;
      const upload = chunkSize
        ? putBlobChunked(dst, dstRepo, session, descriptor.digest, verifier, chunkSize, call)
        : putBlob(dst, dstRepo, session.location, descriptor.digest, descriptor.size, verifier, call);
      const [fed, uploaded] = await Promise.allSettled([feeding, upload]);
      // The source side's failure (digest, size, dropped connection) explains the upload's abort.
      // A body cut mid-stream comes from undici untranslated: it is a network failure, and the
      // whole blob copy may be retried.
      if (fed.status === 'rejected') {
        if (fed.reason instanceof CrossdockError || call.signal?.aborted) throw fed.reason;
        throw new RegistryUnreachableError(`${what}: reading the source`, fed.reason);
      }
      if (uploaded.status === 'rejected') throw uploaded.reason;
    } catch (error) {
      await cancelUpload(dst, dstRepo, session.location, call).catch((cancelError: unknown) =>
        this.#logger.debug('upload cancel failed', { digest: descriptor.digest, error: (cancelError as Error).message }),
      );
      throw error;
    }
    this.noteHolder(dst.registry, dstRepo, descriptor.digest);
    this.#logger.info('blob uploaded', { digest: descriptor.digest, size: descriptor.size, repository: dstRepo, duration_ms: Date.now() - started, chunked: dst.options.chunkSize !== undefined });
    return 'copied';
  }

  /** A repository on the destination registry to mount from: the source itself, or one we filled. */
  #mountSource(source: BlobEndpoint, destination: BlobEndpoint, digest: string): string | undefined {
    if (source.client === destination.client && source.repository !== destination.repository) return source.repository;
    const holder = this.#holders.get(destination.client.registry)?.get(digest);
    return holder !== undefined && holder !== destination.repository ? holder : undefined;
  }
}
