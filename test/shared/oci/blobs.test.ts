import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { headBlob, openBlob, putBlob, putBlobChunked, startUpload } from '../../../shared/oci/blobs.ts';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { type FaultProxy } from '../../support/fault-proxy.ts';
import { getBlob, hasBlob, pushBlob, seededBytes, sha256Digest } from '../../support/images.ts';
import { type TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, startProxiedRegistry } from './fixtures.ts';

const KiB = 1024;
const closers = createClosers();
let reg: TestRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
/** The same registry through the fault proxy, to see each request. */
let proxied: RegistryClient;

before(async () => {
  ({ reg, proxy, client, proxied } = await startProxiedRegistry('blobs', closers));
});

after(() => closeSuite(closers));

describe('reading blobs', () => {
  test('headBlob answers the size of a present blob and undefined for an absent one', async () => {
    const bytes = seededBytes('blobs/head', 3000);
    const { digest } = await pushBlob(reg, 'read/head', bytes);

    assert.equal(await headBlob(client, 'read/head', digest), 3000);
    assert.equal(await headBlob(client, 'read/head', sha256Digest(Buffer.from('absent'))), undefined);
  });

  test('openBlob streams the blob\'s bytes', async () => {
    const bytes = seededBytes('blobs/open', 200 * KiB);
    const { digest } = await pushBlob(reg, 'read/open', bytes);

    const chunks: Buffer[] = [];
    for await (const chunk of await openBlob(client, 'read/open', digest)) chunks.push(chunk as Buffer);

    assert.deepEqual(Buffer.concat(chunks), bytes);
  });

  test('openBlob of an absent blob fails with REGISTRY_NOT_FOUND and BLOB_UNKNOWN', async () => {
    await assert.rejects(openBlob(client, 'read/open', sha256Digest(Buffer.from('absent'))), { code: 'REGISTRY_NOT_FOUND', ociCodes: ['BLOB_UNKNOWN'] });
  });
});

describe('uploading blobs', () => {
  test('a monolithic upload stores the bytes under their digest', async () => {
    const bytes = seededBytes('blobs/monolithic', 100 * KiB);
    const digest = sha256Digest(bytes);

    const start = await startUpload(client, 'write/monolithic');
    assert.equal(start.kind, 'session');
    assert.ok(start.kind === 'session');
    await putBlob(client, 'write/monolithic', start.location, digest, bytes.length, Readable.from([bytes]));

    assert.deepEqual(await getBlob(reg, 'write/monolithic', digest), bytes);
  });

  test('a chunked upload sends full chunks as PATCH and the tail with the closing PUT', async () => {
    const bytes = seededBytes('blobs/chunked', 100 * KiB);
    const digest = sha256Digest(bytes);
    const from = proxy.requests.length;

    const start = await startUpload(proxied, 'write/chunked');
    assert.ok(start.kind === 'session');
    // Odd-sized source chunks: the client must re-cut them at the chunk size.
    const pieces = [bytes.subarray(0, 10_000), bytes.subarray(10_000, 70_000), bytes.subarray(70_000)];
    await putBlobChunked(proxied, 'write/chunked', start, digest, Readable.from(pieces), 32 * KiB);

    assert.deepEqual(await getBlob(reg, 'write/chunked', digest), bytes);
    // 100 KiB in 32 KiB chunks: three PATCHes, then the 4 KiB tail with the digest.
    const methods = proxy.requests.slice(from).filter((r) => r.path !== '/v2/').map((r) => r.method);
    assert.deepEqual(methods, ['POST', 'PATCH', 'PATCH', 'PATCH', 'PUT']);
  });

  test('a wrong digest on the closing PUT is refused and the blob does not exist', async () => {
    const bytes = seededBytes('blobs/wrong', 10 * KiB);
    const claimed = sha256Digest(Buffer.from('something else'));

    const start = await startUpload(client, 'write/wrong');
    assert.ok(start.kind === 'session');
    await assert.rejects(putBlob(client, 'write/wrong', start.location, claimed, bytes.length, Readable.from([bytes])), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_BAD_REQUEST');
      assert.deepEqual((error as { ociCodes?: string[] }).ociCodes, ['DIGEST_INVALID']);
      assert.match(error.message, new RegExp(`PUT blob ${reg.host}/write/wrong@${claimed}: registry answered 400 DIGEST_INVALID`));
      return true;
    });
    assert.equal(await hasBlob(reg, 'write/wrong', claimed), false);
  });

  test('a mount from another repository of the registry links the blob without an upload', async () => {
    const bytes = seededBytes('blobs/mount', 4 * KiB);
    const { digest } = await pushBlob(reg, 'write/mount-from', bytes);

    const start = await startUpload(client, 'write/mount-to', { mount: { digest, from: 'write/mount-from' } });

    assert.deepEqual(start, { kind: 'mounted' });
    assert.deepEqual(await getBlob(reg, 'write/mount-to', digest), bytes);
  });

  test('a mount of a blob the source repository lacks opens an upload session instead', async () => {
    const digest = sha256Digest(Buffer.from('nowhere'));

    const start = await startUpload(client, 'write/mount-miss', { mount: { digest, from: 'write/mount-from' } });

    assert.equal(start.kind, 'session');
    assert.ok(start.kind === 'session');
    assert.match(start.location, new RegExp(`^http://${reg.host}/v2/write/mount-miss/blobs/uploads/`));
    assert.equal(await hasBlob(reg, 'write/mount-miss', digest), false);
  });
});
