import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { pushImage } from '../../support/images.ts';
import { startRegistries, type TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { closeSuite, createClosers, createEngine, createFakeClock, FAST_RETRY, ref } from './fixtures.ts';

// Which requests a copy sends: what it asks the source for (Docker Hub counts every manifest GET
// as a pull) and how it gets a blob into the destination when a mount is refused.

const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
/** In front of the source: counts what the source is asked for. */
let proxy: FaultProxy;
/** In front of the destination: refuses mounts, which Distribution itself never does. */
let dstProxy: FaultProxy;

before(async () => {
  [src, dst] = (await startRegistries(2, { name: 'requests' })) as [TestRegistry, TestRegistry];
  closers.add(() => src.close());
  closers.add(() => dst.close());
  proxy = await startFaultProxy(src.url);
  closers.add(() => proxy.close());
  dstProxy = await startFaultProxy(dst.url);
  closers.add(() => dstProxy.close());
});

afterEach(() => {
  proxy.clearFaults();
  dstProxy.clearFaults();
});

after(() => closeSuite(closers));

function engine(): CopyEngine {
  const created = createEngine({}, { clock: createFakeClock(), retryPolicy: FAST_RETRY });
  closers.add(() => created.close());
  return created;
}

describe('copyImage uploads a blob whose cross-repository mount is refused', () => {
  for (const refusal of [
    { status: 403, body: '{"errors":[{"code":"DENIED","message":"mount not allowed"}]}' },
    { status: 405, body: '{"errors":[{"code":"UNSUPPORTED","message":"mount unsupported"}]}' },
    { status: 500, body: 'internal error' },
  ]) {
    test(`a mount answered ${refusal.status} falls back to a plain upload and the image is complete`, async () => {
      const repo = `mount/refused-${refusal.status}`;
      const pushed = await pushImage(dst, `${repo}-from`, { tag: 'v1', layers: 2 });
      dstProxy.addFault({ method: 'POST', path: /\/blobs\/uploads\/$/, query: /(^|&)mount=/, times: Infinity, action: { kind: 'status', status: refusal.status, body: refusal.body } });
      const from = dstProxy.requests.length;

      const result = await engine().copyImage(ref(dstProxy.host, `${repo}-from`, 'v1'), ref(dstProxy.host, repo));

      assert.equal(result.status, 'copied');
      assert.deepEqual(result.blobs, { copied: pushed.blobs.length, skipped: 0, mounted: 0, planned: 0 });
      const posts = dstProxy.requests.slice(from).filter((r) => r.method === 'POST');
      assert.equal(posts.filter((r) => r.fault === 'status').length >= pushed.blobs.length, true, 'every blob asked for a mount first');
      assert.equal(posts.filter((r) => r.fault === undefined && !r.url.includes('mount=')).length, pushed.blobs.length);
      await assertImageAt(dst, repo, 'v1', pushed);
    });
  }
});
