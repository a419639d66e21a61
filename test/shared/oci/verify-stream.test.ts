import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Readable, Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { describe, test } from 'node:test';
import { sha256Digest } from '../../../shared/oci/manifest-schema.ts';
import { VerifyingStream } from '../../../shared/oci/verify-stream.ts';

const BYTES = Buffer.from('0123456789abcdefghijklmnopqrstuvwxyz');
const CHUNKS = [BYTES.subarray(0, 10), BYTES.subarray(10, 20), BYTES.subarray(20)];

/** Streams `chunks` through a VerifyingStream into memory; what arrived, and the error if any. */
async function verify(chunks: Buffer[], digest: string, size: number): Promise<{ received: Buffer; counted: number; error?: Error }> {
  const received: Buffer[] = [];
  let counted = 0;
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      received.push(chunk);
      done();
    },
  });
  const verifier = new VerifyingStream(digest, size, 'copy blob test', (n) => (counted += n));
  try {
    await pipeline(Readable.from(chunks), verifier, sink);
    return { received: Buffer.concat(received), counted };
  } catch (error) {
    return { received: Buffer.concat(received), counted, error: error as Error };
  }
}

describe('VerifyingStream', () => {
  test('passes the bytes through when digest and size match, counting them', async () => {
    const { received, counted, error } = await verify(CHUNKS, sha256Digest(BYTES), BYTES.length);

    assert.equal(error, undefined);
    assert.deepEqual(received, BYTES);
    assert.equal(counted, BYTES.length);
  });

  test('a wrong digest fails with DIGEST_MISMATCH and the whole body is never released', async () => {
    const claimed = sha256Digest(Buffer.from('other'));

    const { received, error } = await verify(CHUNKS, claimed, BYTES.length);

    assert.equal((error as { code?: string } | undefined)?.code, 'DIGEST_MISMATCH');
    // Permanent for the task: the blob copier itself reads the source again a bounded number of times.
    assert.equal((error as { retryable?: boolean } | undefined)?.retryable, false);
    assert.equal(error?.message, `copy blob test: bytes hash to ${sha256Digest(BYTES)}, expected ${claimed}`);
    // What was let through is a strict prefix: the downstream upload can never complete.
    assert.ok(received.length < BYTES.length, `${received.length} of ${BYTES.length} bytes released`);
    assert.deepEqual(received, BYTES.subarray(0, received.length));
  });

  test('more bytes than the descriptor says fail with SIZE_MISMATCH as soon as they arrive', async () => {
    const { received, error } = await verify(CHUNKS, sha256Digest(BYTES), 15);

    assert.equal((error as { code?: string } | undefined)?.code, 'SIZE_MISMATCH');
    assert.match(error?.message ?? '', /20 bytes received, descriptor says 15/);
    assert.ok(received.length < BYTES.length);
  });

  test('fewer bytes than the descriptor says fail with SIZE_MISMATCH at the end', async () => {
    const { error } = await verify(CHUNKS, sha256Digest(BYTES), BYTES.length + 1);

    assert.equal((error as { code?: string } | undefined)?.code, 'SIZE_MISMATCH');
    assert.match(error?.message ?? '', /36 bytes received, descriptor says 37/);
  });

  test('verifies sha512 digests too', async () => {
    const digest = `sha512:${createHash('sha512').update(BYTES).digest('hex')}`;

    const { received, error } = await verify(CHUNKS, digest, BYTES.length);

    assert.equal(error, undefined);
    assert.deepEqual(received, BYTES);
  });
});
