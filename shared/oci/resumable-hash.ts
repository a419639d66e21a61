/**
 * SHA-256 whose running state can be saved and loaded again (hash-wasm), so that a blob transfer
 * stopped at a deadline can go on verifying in a later invocation without reading the bytes
 * already sent again. node:crypto's Hash cannot be serialised; it stays the hash of every other
 * path, being about four times faster (README "Resumable transfers").
 */
import { createSHA256, type IHasher } from 'hash-wasm';

export class ResumableSha256 {
  readonly #hasher: IHasher;

  private constructor(hasher: IHasher) {
    this.#hasher = hasher;
  }

  /** A fresh hash, or one continuing from `state` (as `save()` gave it, base64). */
  static async create(state?: string): Promise<ResumableSha256> {
    const hasher = await createSHA256();
    hasher.init();
    if (state !== undefined) hasher.load(Buffer.from(state, 'base64'));
    return new ResumableSha256(hasher);
  }

  update(chunk: Uint8Array): void {
    this.#hasher.update(chunk);
  }

  /** The state after every byte given so far, base64 (about 150 characters). */
  save(): string {
    return Buffer.from(this.#hasher.save()).toString('base64');
  }

  digest(): string {
    return `sha256:${this.#hasher.digest('hex')}`;
  }
}
