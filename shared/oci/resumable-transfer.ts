/**
 * A blob upload that can stop at a deadline and go on in a later invocation: one streamed PATCH
 * fed from the source, hashed with a hash whose state can be saved. At the ledger's stop time the
 * PATCH body ends cleanly, the registry is asked how many bytes it holds (GET on the session,
 * not our own count), and the session, that offset and the hash state are saved. The next time
 * the source is read from that offset (`Range`), and the blob is committed only when the whole
 * digest and size match.
 */
import type { Readable } from 'node:stream';
import { CrossdockError } from '../errors.ts';
import type { Logger } from '../log.ts';
import { commitUpload, openBlobFrom, patchBlob, uploadStatus, type UploadSession } from './blobs.ts';
import { TransferPausedError, type BlobProgress, type TransferLedger } from './blob-progress.ts';
import type { CallOptions } from './client.ts';
import type { BlobEndpoint } from './copy-blob.ts';
import type { Descriptor } from './manifest-schema.ts';
import { RegistryUnreachableError } from './registry-error.ts';
import { ResumableSha256 } from './resumable-hash.ts';
import { BlobDigestMismatchError, BlobSizeMismatchError } from './verify-stream.ts';

/** Blobs smaller than this take the faster node:crypto path: they rarely outlast an invocation. */
export const RESUMABLE_MIN_BYTES = 16 * 1024 * 1024;

/** Where a resumable transfer begins: a fresh session, or one saved by an earlier invocation. */
export interface ResumePoint {
  session: UploadSession;
  offset: number;
  hashState?: string;
}

export function canResume(descriptor: Descriptor, destination: BlobEndpoint): boolean {
  return descriptor.size >= RESUMABLE_MIN_BYTES && descriptor.digest.startsWith('sha256:') && destination.client.options.chunkSize === undefined;
}

/**
 * The saved session, if the destination still holds it at the saved offset; undefined when it
 * forgot it (only this blob starts over) or holds another offset (the saved hash state no longer
 * matches its bytes).
 */
export async function reopenSession(destination: BlobEndpoint, saved: BlobProgress, call: CallOptions, logger: Logger): Promise<ResumePoint | undefined> {
  const status = await uploadStatus(destination.client, destination.repository, saved.location, saved.offset, call);
  if (!status) {
    logger.warn('upload session forgotten', { digest: saved.digest, repository: destination.repository, offset: saved.offset });
    return undefined;
  }
  if (status.offset !== saved.offset) {
    logger.warn('upload offset differs', { digest: saved.digest, repository: destination.repository, offset: saved.offset, committed: status.offset });
    return undefined;
  }
  logger.info('blob upload resumed', { digest: saved.digest, repository: destination.repository, offset: saved.offset, size: saved.size });
  return { session: { location: status.location, minChunkLength: undefined }, offset: saved.offset, hashState: saved.hashState };
}

export interface ResumableTransferOptions {
  ledger: TransferLedger;
  onBytes?: ((n: number) => void) | undefined;
  /** Awaited before each chunk goes on: a link's bandwidth cap paces resumable transfers too. */
  pace?: ((bytes: number) => Promise<void>) | undefined;
  call: CallOptions;
  what: string;
}

/**
 * Streams the source into the session from `start.offset` on. Resolves 'committed', or 'paused'
 * after recording the progress in the ledger; throws on a mismatch (nothing committed) or a
 * failure of either side.
 */
export async function transferResumable(source: BlobEndpoint, destination: BlobEndpoint, descriptor: Descriptor, start: ResumePoint, options: ResumableTransferOptions): Promise<'committed' | 'paused'> {
  const { client: dst, repository: dstRepo } = destination;
  const { ledger, call, what } = options;
  const hash = await ResumableSha256.create(start.hashState);
  const opened = await openBlobFrom(source.client, source.repository, descriptor.digest, start.offset, call);
  let sent = 0;
  let paused = false;
  let sourceError: unknown;

  // At the stop time the source is cut: the read below ends, and so does the PATCH body.
  let reading = true;
  void ledger.stopped.then(() => {
    if (!reading) return;
    paused = true;
    (opened.body as Readable).destroy();
  });

  async function* body(): AsyncGenerator<Buffer> {
    let skip = opened.skip;
    try {
      for await (const data of opened.body) {
        let chunk = data as Buffer;
        if (skip > 0) {
          const dropped = Math.min(skip, chunk.length);
          skip -= dropped;
          chunk = chunk.subarray(dropped);
          if (chunk.length === 0) continue;
        }
        if (start.offset + sent + chunk.length > descriptor.size) throw new BlobSizeMismatchError(what, descriptor.size, start.offset + sent + chunk.length);
        if (options.pace) await options.pace(chunk.length);
        hash.update(chunk);
        sent += chunk.length;
        options.onBytes?.(chunk.length);
        yield chunk;
        if (paused) return;
      }
    } catch (error) {
      // End the PATCH instead of breaking it off: the session stays usable (to cancel or resume).
      // A pace that stops the transfer (a link slot lost) pauses it like the stop time does.
      if (error instanceof TransferPausedError) paused = true;
      else if (!paused) sourceError = error;
    } finally {
      reading = false;
      (opened.body as Readable).destroy();
    }
  }

  const session = start.session;
  await patchBlob(dst, dstRepo, session, body() as unknown as Readable, call);
  if (sourceError !== undefined) {
    if (sourceError instanceof BlobSizeMismatchError) throw sourceError;
    throw new RegistryUnreachableError(`${what}: reading the source`, sourceError);
  }
  const total = start.offset + sent;
  if (paused && total < descriptor.size) {
    const status = await uploadStatus(dst, dstRepo, session.location, total, call);
    if (status === undefined || status.offset !== total) {
      // The registry lost bytes or the session: saving this point would not match its bytes.
      throw new CrossdockError('REGISTRY_PROTOCOL', `${what}: the upload holds ${status ? `${status.offset} bytes` : 'nothing'} after ${total} were sent`, { retryable: true });
    }
    ledger.pause({ digest: descriptor.digest, size: descriptor.size, location: status.location, offset: total, hashState: hash.save() });
    return 'paused';
  }
  if (total !== descriptor.size) throw new BlobSizeMismatchError(what, descriptor.size, total);
  const actual = hash.digest();
  if (actual !== descriptor.digest) throw new BlobDigestMismatchError(`${what}${start.offset > 0 ? ` (resumed at byte ${start.offset})` : ''}`, descriptor.digest, actual);
  await commitUpload(dst, dstRepo, session, descriptor.digest, call);
  return 'committed';
}
