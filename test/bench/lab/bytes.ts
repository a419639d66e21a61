import { createCipheriv, createHash } from 'node:crypto';
import { Readable } from 'node:stream';

// Workload content: the same bytes for the same seed on every run and every machine, fast enough
// for hundreds of MiB (an AES-256-CTR keystream, about a GiB a second, where test/support's
// SHA-256 counter generator manages tens of MiB), and incompressible like real gzip layers.

const CHUNK = 1 << 20;

function keystream(seed: string) {
  const key = createHash('sha256').update(`crossdock-bench/${seed}`).digest();
  const iv = createHash('sha256').update(key).digest().subarray(0, 16);
  return createCipheriv('aes-256-ctr', key, iv);
}

/** `size` deterministic bytes from a seed, in memory: for blobs of a few MiB at most. */
export function labBytes(seed: string, size: number): Buffer {
  return keystream(seed).update(Buffer.alloc(size));
}

/** The same bytes as labBytes(seed, size), streamed in 1 MiB chunks: nothing held whole. */
export function labByteStream(seed: string, size: number): Readable {
  const cipher = keystream(seed);
  let left = size;
  return new Readable({
    read() {
      if (left === 0) {
        this.push(null);
        return;
      }
      const n = Math.min(CHUNK, left);
      left -= n;
      this.push(cipher.update(Buffer.alloc(n)));
    },
  });
}

/** The sha256 digest of labByteStream(seed, size), computed by generating the bytes once. */
export async function labByteDigest(seed: string, size: number): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of labByteStream(seed, size)) hash.update(chunk as Buffer);
  return `sha256:${hash.digest('hex')}`;
}

/** A whole number in [min, max] derived from a seed: sizes that vary, the same every run. */
export function labSize(seed: string, min: number, max: number): number {
  const n = createHash('sha256').update(`crossdock-bench-size/${seed}`).digest().readUInt32BE(0);
  return min + (n % (max - min + 1));
}
