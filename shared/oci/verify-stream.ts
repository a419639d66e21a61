/**
 * A Transform that hashes and counts bytes on their way from source to destination and holds
 * back the last chunk until the digest and size check out: a registry never receives a whole
 * body whose digest is wrong, so nothing corrupt can be committed.
 */
import { createHash, type Hash } from 'node:crypto';
import { Transform, type TransformCallback } from 'node:stream';
import { CrossdockError } from '../errors.ts';

// Both are permanent as the task sees them: the blob copier reads the source afresh a bounded
// number of times itself (MAX_SOURCE_READS) instead of leaving it to whole-task redeliveries.

export class BlobDigestMismatchError extends CrossdockError {
  constructor(what: string, expected: string, actual: string) {
    super('DIGEST_MISMATCH', `${what}: bytes hash to ${actual}, expected ${expected}`, { retryable: false });
  }
}

export class BlobSizeMismatchError extends CrossdockError {
  constructor(what: string, expected: number, actual: number) {
    super('SIZE_MISMATCH', `${what}: ${actual} bytes received, descriptor says ${expected}`, { retryable: false });
  }
}

export class VerifyingStream extends Transform {
  readonly #hash: Hash;
  readonly #digest: string;
  readonly #size: number;
  readonly #what: string;
  readonly #onBytes: ((n: number) => void) | undefined;
  #seen = 0;
  #held: Buffer | undefined;

  constructor(digest: string, size: number, what: string, onBytes?: (n: number) => void) {
    super();
    const algorithm = digest.split(':')[0]!;
    this.#hash = createHash(algorithm === 'sha512' ? 'sha512' : 'sha256');
    this.#digest = digest;
    this.#size = size;
    this.#what = what;
    this.#onBytes = onBytes;
  }

  get bytesSeen(): number {
    return this.#seen;
  }

  override _transform(chunk: Buffer, _encoding: BufferEncoding, callback: TransformCallback): void {
    this.#seen += chunk.length;
    if (this.#seen > this.#size) return callback(new BlobSizeMismatchError(this.#what, this.#size, this.#seen));
    this.#hash.update(chunk);
    this.#onBytes?.(chunk.length);
    const previous = this.#held;
    this.#held = chunk;
    callback(null, previous);
  }

  override _flush(callback: TransformCallback): void {
    if (this.#seen !== this.#size) return callback(new BlobSizeMismatchError(this.#what, this.#size, this.#seen));
    const actual = `${this.#digest.split(':')[0]}:${this.#hash.digest('hex')}`;
    if (actual !== this.#digest) return callback(new BlobDigestMismatchError(this.#what, this.#digest, actual));
    callback(null, this.#held);
  }
}
