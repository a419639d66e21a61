import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import type { FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, getBlob, getManifest, hasBlob, listTags, pushImage, seededBytes, sha256Digest } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { createClosers, createEngine, createFakeClock, FAST_RETRY, ref, type FakeClock, startProxiedPair } from './fixtures.ts';

const KiB = 1024;
const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
/** In front of the source: the faults a real registry will not produce on demand. */
let proxy: FaultProxy;
/** In front of the destination. */
let dstProxy: FaultProxy;

before(async () => {
  ({ src, dst, proxy, dstProxy } = await startProxiedPair('faults', closers));
});

afterEach(() => {
  proxy.clearFaults();
  dstProxy.clearFaults();
});

after(async () => {
  await closers.closeAll();
  await closeRegistryClients();
});

function engineWith(clock: FakeClock, destination: { chunkSize?: number } = {}, blobConcurrency?: number): CopyEngine {
  const engine = createEngine({ [dst.host]: destination, [dstProxy.host]: destination }, { clock, retryPolicy: FAST_RETRY, ...(blobConcurrency ? { blobConcurrency } : {}) });
  closers.add(() => engine.close());
  return engine;
}

/** The requests the proxy saw from `from` on, as [method, path, fault] for readable diffs. */
function seen(from: number, path: RegExp): Array<[string, string, string | undefined]> {
  return proxy.requests.slice(from).filter((r) => path.test(r.path)).map((r) => [r.method, r.path, r.fault]);
}

describe('copyImage retries what the registry asks it to retry', () => {
  test('a 429 with Retry-After: 1 on the manifest GET waits exactly 1000 ms, then copies', async () => {
    const pushed = await pushImage(src, 'retry/rate-limited', { tag: 'v1' });
    const clock = createFakeClock();
    const engine = engineWith(clock);
    proxy.addFault({ method: 'GET', path: /\/manifests\/sha256:/, action: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    const from = proxy.requests.length;

    const result = await engine.copyImage(ref(proxy.host, 'retry/rate-limited', 'v1'), ref(dst.host, 'retry/rate-limited'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(clock.sleeps, [1000]);
    // The tag is asked by HEAD, the manifest read by the digest the HEAD answered.
    assert.deepEqual(seen(from, /\/manifests\/(v1|sha256:.*)$/).slice(0, 3), [
      ['HEAD', '/v2/retry/rate-limited/manifests/v1', undefined],
      ['GET', `/v2/retry/rate-limited/manifests/${pushed.digest}`, 'status'],
      ['GET', `/v2/retry/rate-limited/manifests/${pushed.digest}`, undefined],
    ]);
    await assertImageAt(dst, 'retry/rate-limited', 'v1', pushed);
  });

  test('a 503 twice, then OK, copies after two backoff sleeps', async () => {
    const pushed = await pushImage(src, 'retry/unavailable', { tag: 'v1' });
    const clock = createFakeClock();
    const engine = engineWith(clock);
    proxy.addFault({ method: 'GET', path: /\/manifests\/sha256:/, times: 2, action: { kind: 'status', status: 503 } });
    const from = proxy.requests.length;

    const result = await engine.copyImage(ref(proxy.host, 'retry/unavailable', 'v1'), ref(dst.host, 'retry/unavailable'));

    assert.equal(result.status, 'copied');
    assert.equal(clock.sleeps.length, 2);
    assert.ok(clock.sleeps.every((ms) => ms >= 0 && ms <= FAST_RETRY.maxDelayMs), `sleeps ${clock.sleeps.join(', ')}`);
    assert.deepEqual(seen(from, new RegExp(`/manifests/${pushed.digest}$`)).map(([, , fault]) => fault), ['status', 'status', undefined]);
    await assertImageAt(dst, 'retry/unavailable', 'v1', pushed);
  });

  test('a 503 for ever fails with a retryable REGISTRY_UNAVAILABLE after the policy\'s attempts', async () => {
    await pushImage(src, 'retry/down', { tag: 'v1' });
    const clock = createFakeClock();
    const engine = engineWith(clock);
    proxy.addFault({ path: /\/manifests\//, times: Infinity, action: { kind: 'status', status: 503 } });
    const from = proxy.requests.length;

    await assert.rejects(engine.copyImage(ref(proxy.host, 'retry/down', 'v1'), ref(dst.host, 'retry/down')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_UNAVAILABLE');
      assert.equal((error as { retryable?: boolean }).retryable, true);
      assert.match(error.message, /HEAD manifest .*retry\/down:v1: registry answered 503/);
      return true;
    });
    assert.equal(seen(from, /\/manifests\//).length, FAST_RETRY.attempts);
    assert.equal(clock.sleeps.length, FAST_RETRY.attempts - 1);
    assert.deepEqual(await listTags(dst, 'retry/down'), []);
  });
});

describe('copyImage gives up on a blob after the policy\'s attempts, not their square', () => {
  test('a blob GET answering 503 for ever is tried `attempts` times in all, and nothing is tagged', async () => {
    const pushed = await pushImage(src, 'retry/blob-down', { tag: 'v1', layers: 1 });
    const clock = createFakeClock();
    const engine = engineWith(clock, {}, 1);
    const layer = pushed.blobs.at(-1)!.digest;
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer}$`), times: Infinity, action: { kind: 'status', status: 503 } });
    const from = proxy.requests.length;

    await assert.rejects(engine.copyImage(ref(proxy.host, 'retry/blob-down', 'v1'), ref(dst.host, 'retry/blob-down')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_UNAVAILABLE');
      return true;
    });
    assert.equal(seen(from, new RegExp(`/blobs/${layer}$`)).length, FAST_RETRY.attempts);
    assert.deepEqual(await listTags(dst, 'retry/blob-down'), []);
  });
});

describe('copyImage survives broken blob transfers', () => {
  test('a connection dropped mid-blob is retried and the bytes arrive intact', async () => {
    const pushed = await pushImage(src, 'blob/dropped', { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const layer = pushed.blobs[1];
    assert.ok(layer);
    const engine = engineWith(createFakeClock());
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), action: { kind: 'drop-mid-body', afterBytes: 64 * KiB } });
    const from = proxy.requests.length;

    const result = await engine.copyImage(ref(proxy.host, 'blob/dropped', 'v1'), ref(dst.host, 'blob/dropped'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(seen(from, /\/blobs\//).filter(([, path]) => path.endsWith(layer.digest)).map(([, , fault]) => fault), ['drop-mid-body', undefined]);
    assert.deepEqual(await getBlob(dst, 'blob/dropped', layer.digest), seededBytes('blob/dropped/v1/layer/0', 256 * KiB));
    await assertImageAt(dst, 'blob/dropped', 'v1', pushed);
  });

  test('a corrupted blob is detected, fetched again and arrives intact', async () => {
    const pushed = await pushImage(src, 'blob/corrupted-once', { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const layer = pushed.blobs[1];
    assert.ok(layer);
    const engine = engineWith(createFakeClock());
    proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), action: { kind: 'corrupt-body', atByte: 200 * KiB } });
    const from = proxy.requests.length;

    const result = await engine.copyImage(ref(proxy.host, 'blob/corrupted-once', 'v1'), ref(dst.host, 'blob/corrupted-once'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(seen(from, new RegExp(`/blobs/${layer.digest}$`)).map(([, , fault]) => fault), ['corrupt-body', undefined]);
    assert.equal(sha256Digest(await getBlob(dst, 'blob/corrupted-once', layer.digest)), layer.digest);
    await assertImageAt(dst, 'blob/corrupted-once', 'v1', pushed);
  });

  for (const upload of [{ name: 'monolithic', chunkSize: undefined }, { name: 'chunked', chunkSize: 64 * KiB }]) {
    test(`a blob corrupted on every attempt fails with DIGEST_MISMATCH and nothing corrupt is committed (${upload.name})`, async () => {
      const repo = `blob/corrupted-${upload.name}`;
      const pushed = await pushImage(src, repo, { tag: 'v1', layers: 1, layerSize: 256 * KiB });
      const layer = pushed.blobs[1];
      assert.ok(layer);
      const clock = createFakeClock();
      const engine = engineWith(clock, upload.chunkSize ? { chunkSize: upload.chunkSize } : {});
      proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${layer.digest}$`), times: Infinity, action: { kind: 'corrupt-body', atByte: 100 } });
      const from = proxy.requests.length;

      await assert.rejects(engine.copyImage(ref(proxy.host, repo, 'v1'), ref(dst.host, repo)), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'DIGEST_MISMATCH');
        assert.ok(error.message.includes(layer.digest), error.message);
        return true;
      });
      assert.equal(seen(from, new RegExp(`/blobs/${layer.digest}$`)).length, FAST_RETRY.attempts);
      assert.deepEqual(await listTags(dst, repo), []);
      assert.equal(await hasBlob(dst, repo, layer.digest), false);
    });
  }
});

describe('copyImage survives a failing destination', () => {
  test('a 503 on one PATCH chunk is answered by copying the blob again', async () => {
    const pushed = await pushImage(src, 'upload/patch-503', { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const engine = engineWith(createFakeClock(), { chunkSize: 64 * KiB });
    dstProxy.addFault({ method: 'PATCH', path: /\/blobs\/uploads\//, action: { kind: 'status', status: 503 } });
    const from = dstProxy.requests.length;

    const result = await engine.copyImage(ref(src.host, 'upload/patch-503', 'v1'), ref(dstProxy.host, 'upload/patch-503'));

    assert.equal(result.status, 'copied');
    const patches = dstProxy.requests.slice(from).filter((r) => r.method === 'PATCH');
    // 256 KiB in 64 KiB chunks: three PATCHes (the last chunk goes with the PUT). The blob copy
    // owns the retry, so the refused first chunk opens a new session that sends all three.
    assert.deepEqual(patches.map((r) => r.fault), ['status', undefined, undefined, undefined]);
    await assertImageAt(dst, 'upload/patch-503', 'v1', pushed);
  });

  test('a 500 on a streamed PATCH retries the whole blob copy in a new upload session', async () => {
    const pushed = await pushImage(src, 'upload/patch-500', { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const clock = createFakeClock();
    const engine = engineWith(clock);
    dstProxy.addFault({ method: 'PATCH', path: /\/blobs\/uploads\//, action: { kind: 'status', status: 500 } });
    const from = dstProxy.requests.length;

    const result = await engine.copyImage(ref(src.host, 'upload/patch-500', 'v1'), ref(dstProxy.host, 'upload/patch-500'));

    assert.equal(result.status, 'copied');
    const uploads = dstProxy.requests.slice(from).filter((r) => r.path.includes('/blobs/uploads/'));
    assert.deepEqual(uploads.filter((r) => r.method === 'PATCH').map((r) => r.fault), ['status', undefined, undefined]);
    assert.equal(uploads.filter((r) => r.method === 'POST').length, pushed.blobs.length + 1, 'the refused blob opened a second session');
    await assertImageAt(dst, 'upload/patch-500', 'v1', pushed);
  });

  test('a destination that keeps failing the PUT fails the copy with its own error, not the source\'s', async () => {
    await pushImage(src, 'upload/put-down', { tag: 'v1', layers: 1, layerSize: 256 * KiB });
    const engine = engineWith(createFakeClock());
    dstProxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, times: Infinity, action: { kind: 'status', status: 500 } });

    await assert.rejects(engine.copyImage(ref(src.host, 'upload/put-down', 'v1'), ref(dstProxy.host, 'upload/put-down')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_UNAVAILABLE');
      assert.match(error.message, /PUT blob .*registry answered 500/);
      return true;
    });
    assert.deepEqual(await listTags(dst, 'upload/put-down'), []);
  });
});

describe('copyImage recovers from what a streamed upload cannot replay', () => {
  test('a 401 on the streamed blob PATCH refreshes the credentials and the blob copy runs again', async () => {
    const pushed = await pushImage(src, 'auth/upload-401', { tag: 'v1' });
    const clock = createFakeClock();
    const engine = createEngine({ [dstProxy.host]: { username: 'mirror', password: 'mirror-pass' } }, { clock, retryPolicy: FAST_RETRY });
    closers.add(() => engine.close());
    dstProxy.addFault({ method: 'PATCH', path: /\/blobs\/uploads\//, action: { kind: 'status', status: 401, headers: { 'www-authenticate': 'Basic realm="registry"' } } });
    const from = dstProxy.requests.length;

    const result = await engine.copyImage(ref(src.host, 'auth/upload-401', 'v1'), ref(dstProxy.host, 'auth/upload-401'));

    assert.equal(result.status, 'copied');
    await assertImageAt(dst, 'auth/upload-401', 'v1', pushed);
    const patches = dstProxy.requests.slice(from).filter((r) => r.method === 'PATCH' && r.path.includes('/blobs/uploads/'));
    assert.equal(patches[0]?.fault, 'status');
    assert.equal(patches.length, pushed.blobs.length + 1, 'each blob PATCH once, the refused one twice');
  });
});

describe('copyImage with the destination tags already listed', () => {
  test('a new repository (no tags) needs no HEAD for the tag, child manifests or blobs', async () => {
    const pushed = await pushImage(src, 'listed/new', { tag: 'v1', layers: 3 });
    const engine = engineWith(createFakeClock());
    const from = dstProxy.requests.length;

    const result = await engine.copyImage(ref(src.host, 'listed/new', 'v1'), ref(dstProxy.host, 'listed/new'), { destinationTags: new Set() });

    assert.equal(result.status, 'copied');
    await assertImageAt(dst, 'listed/new', 'v1', pushed);
    assert.deepEqual(dstProxy.requests.slice(from).filter((r) => r.method === 'HEAD' && !r.path.includes('sha256-')), []);
  });

  test('a listed tag is still compared by digest: a different image with overwrite off is skipped', async () => {
    await pushImage(src, 'listed/existing', { tag: 'v1', seed: 'source-side' });
    const other = await pushImage(dst, 'listed/existing', { tag: 'v1', seed: 'destination-side' });
    const engine = engineWith(createFakeClock());

    const result = await engine.copyImage(ref(src.host, 'listed/existing', 'v1'), ref(dst.host, 'listed/existing'), { destinationTags: new Set(['v1']) });

    assert.equal(result.status, 'skipped');
    assert.match(result.reason ?? '', new RegExp(`holds ${other.digest}`));
    assert.equal((await getManifest(dst, 'listed/existing', 'v1'))?.digest, other.digest);
  });
});

