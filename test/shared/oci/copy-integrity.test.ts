import assert from 'node:assert/strict';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { createLogger } from '../../../shared/log.ts';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
const MAX_SOURCE_READS = 3;
const MAX_MANIFEST_READS = 3;
import type { RetryPolicy } from '../../../shared/oci/retry.ts';
import type { FaultProxy } from '../../support/fault-proxy.ts';
import { hasBlob, listTags, pushImage } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, createEngine, createFakeClock, ref, startProxiedPair } from './fixtures.ts';

// Bytes changed in transit never reach a tag, are read again only a bounded number of times,
// and leave no partial upload behind. Distribution does not corrupt its own answers: the fault
// proxy in front of the source does.

const KiB = 1024;
/** More attempts than the bound on fresh reads, so that the bound is what stops the copy. */
const PATIENT_RETRY: RetryPolicy = { attempts: 6, baseDelayMs: 1, maxDelayMs: 4, maxRetryAfterMs: 5_000 };

const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
/** In front of the destination: refuses a cancel, which Distribution does only for a stale location. */
let dstProxy: FaultProxy;

before(async () => {
  ({ src, dst, proxy, dstProxy } = await startProxiedPair('integrity', closers));
});

afterEach(() => {
  proxy.clearFaults();
  dstProxy.clearFaults();
});
after(() => closeSuite(closers));

function engineWith(destination: { chunkSize?: number } = {}): CopyEngine {
  const engine = createEngine({ [dst.host]: destination }, { clock: createFakeClock(), retryPolicy: PATIENT_RETRY });
  closers.add(() => engine.close());
  return engine;
}

/**
 * Files of partial uploads Distribution keeps for a repository, under
 * <rootdirectory>/docker/registry/v2/repositories/<repo>/_uploads/<id>/, with their sizes, but
 * for the one file Distribution 2.8 leaves behind itself after a DELETE it answered 204:
 * `hashstates/sha256/0`, the hash state of an empty upload (about 100 bytes, no content; the
 * same is left by a plain POST, PATCH, DELETE with curl). A refused cancel leaves `data` (the
 * bytes), `startedat` and hash states at other offsets.
 */
async function uploadsLeft(reg: TestRegistry, repository: string): Promise<string[]> {
  const root = join(reg.dataDir, 'docker/registry/v2/repositories', repository, '_uploads');
  let entries;
  try {
    entries = await readdir(root, { recursive: true, withFileTypes: true });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const files = entries.filter((e) => e.isFile() && !(e.name === '0' && e.parentPath.endsWith(join('hashstates', 'sha256'))));
  return Promise.all(files.map(async (e) => `${join(e.parentPath, e.name).slice(root.length + 1)} (${(await stat(join(e.parentPath, e.name))).size} bytes)`));
}

function sourceReads(from: number, path: RegExp): number {
  return proxy.requests.slice(from).filter((r) => r.method === 'GET' && path.test(r.path)).length;
}

describe('a manifest changed in transit fails the copy and tags nothing', () => {
  // 'tag' reads by the digest a HEAD answered; 'listed tag' (destination tags known, this one
  // absent) reads by tag and checks against Docker-Content-Digest.
  for (const by of ['tag', 'listed tag', 'digest'] as const) {
    test(`by ${by}: DIGEST_MISMATCH, permanent, after at most ${MAX_MANIFEST_READS} reads`, async () => {
      const repo = `tamper/manifest-by-${by.replace(' ', '-')}`;
      const pushed = await pushImage(src, repo, { tag: 'v1' });
      // One byte inside a layer's mediaType string: the manifest still parses and refers to
      // blobs that exist, so only a digest check can tell.
      const atByte = pushed.bytes.indexOf('layer.v1') + 2;
      proxy.addFault({ method: 'GET', path: /\/manifests\/(v1|sha256:[0-9a-f]{64})$/, times: Infinity, action: { kind: 'corrupt-body', atByte } });
      const from = proxy.requests.length;
      const source = by === 'digest' ? { ...ref(proxy.host, repo), digest: pushed.digest } : ref(proxy.host, repo, 'v1');
      const options = by === 'listed tag' ? { destinationTags: new Set<string>() } : {};

      await assert.rejects(engineWith().copyImage(source, ref(dst.host, repo, 'v1'), options), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'DIGEST_MISMATCH');
        assert.equal((error as { retryable?: boolean }).retryable, false);
        assert.ok(error.message.includes(`expected ${pushed.digest}`), error.message);
        return true;
      });
      const reads = sourceReads(from, /\/manifests\//);
      assert.ok(reads >= 1 && reads <= MAX_MANIFEST_READS, `${reads} manifest reads`);
      assert.deepEqual(await listTags(dst, repo), []);
    });
  }
});

describe('a blob corrupted on every read fails permanently and leaves no upload behind', () => {
  for (const upload of [{ name: 'streamed', chunkSize: undefined }, { name: 'chunked', chunkSize: 64 * KiB }]) {
    test(`${upload.name}: DIGEST_MISMATCH after at most ${MAX_SOURCE_READS} reads, nothing in _uploads`, async () => {
      const repo = `tamper/blob-${upload.name}`;
      const pushed = await pushImage(src, repo, { tag: 'v1', layers: 1, layerSize: 256 * KiB });
      const layer = pushed.blobs[1]!;
      proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: Infinity, action: { kind: 'corrupt-body', atByte: 200 * KiB } });
      const from = proxy.requests.length;

      await assert.rejects(engineWith(upload.chunkSize ? { chunkSize: upload.chunkSize } : {}).copyImage(ref(proxy.host, repo, 'v1'), ref(dst.host, repo)), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'DIGEST_MISMATCH');
        assert.equal((error as { retryable?: boolean }).retryable, false);
        return true;
      });
      const reads = sourceReads(from, new RegExp(`/blobs/${layer.digest}$`));
      assert.ok(reads >= 2 && reads <= MAX_SOURCE_READS, `${reads} reads of the corrupted blob`);
      assert.deepEqual(await uploadsLeft(dst, repo), []);
      assert.equal(await hasBlob(dst, repo, layer.digest), false);
      assert.deepEqual(await listTags(dst, repo), []);
    });
  }

  test('a blob shorter than its descriptor fails with SIZE_MISMATCH after the bound, nothing in _uploads', async () => {
    const repo = 'tamper/blob-short';
    const pushed = await pushImage(src, repo, { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const layer = pushed.blobs[1]!;
    // A body that ends early but cleanly (no Content-Length, chunked encoding), as a broken cache might serve.
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: Infinity, action: { kind: 'status', status: 200, headers: { 'content-type': 'application/octet-stream' }, body: 'short' } });
    const from = proxy.requests.length;

    await assert.rejects(engineWith({ chunkSize: 64 * KiB }).copyImage(ref(proxy.host, repo, 'v1'), ref(dst.host, repo)), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'SIZE_MISMATCH');
      assert.equal((error as { retryable?: boolean }).retryable, false);
      return true;
    });
    assert.ok(sourceReads(from, new RegExp(`/blobs/${layer.digest}$`)) <= MAX_SOURCE_READS);
    assert.deepEqual(await uploadsLeft(dst, repo), []);
  });
});

describe('a refused cancel is reported', () => {
  test('a DELETE answered 404 BLOB_UPLOAD_INVALID is logged as a refused cancel, with the digest', async () => {
    const repo = 'tamper/cancel-refused';
    const pushed = await pushImage(src, repo, { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const layer = pushed.blobs[1]!;
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: Infinity, action: { kind: 'corrupt-body', atByte: 200 * KiB } });
    dstProxy.addFault({ method: 'DELETE', path: /\/blobs\/uploads\//, times: Infinity, action: { kind: 'status', status: 404, headers: { 'content-type': 'application/json' }, body: '{"errors":[{"code":"BLOB_UPLOAD_INVALID","message":"blob upload invalid"}]}' } });
    const lines: string[] = [];
    const engine = createEngine({}, { clock: createFakeClock(), retryPolicy: PATIENT_RETRY, logger: createLogger({ level: 'debug', sink: (line) => lines.push(line) }) });
    closers.add(() => engine.close());

    await assert.rejects(engine.copyImage(ref(proxy.host, repo, 'v1'), ref(dstProxy.host, repo)), { code: 'DIGEST_MISMATCH' });

    const refused = lines.map((line) => JSON.parse(line) as Record<string, unknown>).filter((l) => l['message'] === 'upload cancel refused');
    assert.equal(refused.length, dstProxy.requests.filter((r) => r.method === 'DELETE').length);
    assert.ok(refused.length >= 2, `${refused.length} refused cancels logged`);
    for (const line of refused) {
      assert.equal(line['level'], 'warn');
      assert.equal(line['digest'], layer.digest);
      assert.match(String(line['error']), /DELETE upload .*registry answered 404 BLOB_UPLOAD_INVALID/);
    }
  });
});
