import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { getBlob, pushImage, seededBytes, sha256Digest } from '../../support/images.ts';
import { type TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { closeSuite, createClosers, createEngine, ref, startTwoRegistries } from './fixtures.ts';

// How the engine moves blobs between real registries: mounts, monolithic and chunked uploads.

const MiB = 1024 * 1024;
const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
let engine: CopyEngine;

before(async () => {
  ({ src, dst, engine } = await startTwoRegistries('copy-blob', closers));
});

after(() => closeSuite(closers));

describe('copyImage mounts blobs', () => {
  test('a layer copied to one repository is mounted into the next repository of the same registry', async () => {
    const shared = seededBytes('mount/shared-base', 16 * 1024);
    const first = await pushImage(src, 'mount/first', { tag: 'v1', sharedLayers: [shared] });
    const second = await pushImage(src, 'mount/second', { tag: 'v1', sharedLayers: [shared] });

    const one = await engine.copyImage(ref(src.host, 'mount/first', 'v1'), ref(dst.host, 'mount/one'));
    const two = await engine.copyImage(ref(src.host, 'mount/second', 'v1'), ref(dst.host, 'mount/two'));

    assert.equal(one.blobs.mounted, 0);
    assert.equal(two.blobs.mounted, 1);
    assert.equal(two.blobs.copied, 3);
    assert.equal(two.bytes, second.blobs.filter((b) => b.digest !== sha256Digest(shared)).reduce((sum, b) => sum + b.size, 0));
    await assertImageAt(dst, 'mount/one', 'v1', first);
    await assertImageAt(dst, 'mount/two', 'v1', second);
  });

  test('a copy within one registry mounts every blob and uploads nothing', async () => {
    const pushed = await pushImage(dst, 'mount/inside', { tag: 'v1', layers: 2 });

    const result = await engine.copyImage(ref(dst.host, 'mount/inside', 'v1'), ref(dst.host, 'mount/inside-copy'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(result.blobs, { copied: 0, skipped: 0, mounted: 3, planned: 0 });
    assert.equal(result.bytes, 0);
    await assertImageAt(dst, 'mount/inside-copy', 'v1', pushed);
  });
});

describe('copyImage uploads', () => {
  let proxy: FaultProxy;
  before(async () => {
    proxy = await startFaultProxy(dst.url);
    closers.add(() => proxy.close());
  });

  test('streamed and chunked uploads give the same digest; streamed sends one PATCH a blob, chunked one a chunk', async () => {
    const pushed = await pushImage(src, 'upload/big', { tag: 'v1', layers: 1, layerSize: 3.5 * MiB });
    const layer = pushed.blobs[1];
    assert.ok(layer);
    const monolithic = createEngine({ [proxy.host]: {} });
    const chunked = createEngine({ [proxy.host]: { chunkSize: MiB } });
    closers.add(() => monolithic.close());
    closers.add(() => chunked.close());

    const seenBefore = proxy.requests.length;
    const one = await monolithic.copyImage(ref(src.host, 'upload/big', 'v1'), ref(proxy.host, 'upload/monolithic'));
    const monolithicRequests = proxy.requests.slice(seenBefore);
    const two = await chunked.copyImage(ref(src.host, 'upload/big', 'v1'), ref(proxy.host, 'upload/chunked'));
    const chunkedRequests = proxy.requests.slice(seenBefore + monolithicRequests.length);

    assert.equal(one.digest, pushed.digest);
    assert.equal(two.digest, pushed.digest);
    assert.deepEqual([one.blobs.copied, two.blobs.copied], [2, 2]);
    // One PATCH of unstated length per blob, then a PUT with the digest and no body.
    assert.equal(monolithicRequests.filter((r) => r.method === 'PATCH').length, 2);
    // 3.5 MiB in 1 MiB chunks: three PATCHes, the last half MiB goes with the closing PUT.
    assert.equal(chunkedRequests.filter((r) => r.method === 'PATCH').length, 3);
    await assertImageAt(dst, 'upload/monolithic', 'v1', pushed);
    await assertImageAt(dst, 'upload/chunked', 'v1', pushed);
    assert.deepEqual(await getBlob(dst, 'upload/chunked', layer.digest), seededBytes('upload/big/v1/layer/0', 3.5 * MiB));
  });
});
