import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { getManifest, headManifest, putManifest } from '../../../shared/oci/manifests.ts';
import { type FaultProxy } from '../../support/fault-proxy.ts';
import * as support from '../../support/images.ts';
import { MediaTypes, pushImage, pushIndex } from '../../support/images.ts';
import { type TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, createEngine, createFakeClock, FAST_RETRY, ref, startProxiedRegistry } from './fixtures.ts';

const closers = createClosers();
let reg: TestRegistry;
let proxy: FaultProxy;
let client: RegistryClient;
/** The same registry reached through the fault proxy. */
let proxied: RegistryClient;

before(async () => {
  const clock = createFakeClock();
  const context = { sleep: clock.sleep, now: clock.now, retryPolicy: FAST_RETRY };
  ({ reg, proxy, client, proxied } = await startProxiedRegistry('manifests', closers, context));
});

after(() => closeSuite(closers));

describe('getManifest', () => {
  test('reads an image manifest by tag with the exact bytes, digest and media type', async () => {
    const pushed = await pushImage(reg, 'get/image', { tag: 'v1', format: 'docker' });

    const manifest = await getManifest(client, 'get/image', 'v1');

    assert.equal(manifest.kind, 'image');
    assert.equal(manifest.digest, pushed.digest);
    assert.equal(manifest.mediaType, MediaTypes.dockerManifest);
    assert.deepEqual(manifest.bytes, pushed.bytes);
    assert.ok(manifest.kind === 'image');
    assert.deepEqual([manifest.body.config, ...manifest.body.layers].map((d) => d.digest), pushed.blobs.map((b) => b.digest));
  });

  test('reads an index by digest and lists its children', async () => {
    const pushed = await pushIndex(reg, 'get/index', { format: 'oci', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });

    const manifest = await getManifest(client, 'get/index', pushed.digest);

    assert.equal(manifest.kind, 'index');
    assert.equal(manifest.digest, pushed.digest);
    assert.ok(manifest.kind === 'index');
    assert.deepEqual(manifest.body.manifests.map((d) => d.digest), pushed.children.map((c) => c.digest));
  });

  test('an unknown tag is a REGISTRY_NOT_FOUND error carrying the registry\'s MANIFEST_UNKNOWN code', async () => {
    await pushImage(reg, 'get/known', { tag: 'v1' });

    await assert.rejects(getManifest(client, 'get/known', 'missing'), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_NOT_FOUND');
      assert.deepEqual((error as { ociCodes?: string[] }).ociCodes, ['MANIFEST_UNKNOWN']);
      assert.match(error.message, new RegExp(`GET manifest ${reg.host}/get/known:missing: registry answered 404 MANIFEST_UNKNOWN`));
      return true;
    });
  });

  test('bytes that once hash wrong are fetched again and come back right', async () => {
    const pushed = await pushImage(reg, 'get/corrupted-once', { tag: 'v1' });
    proxy.addFault({ method: 'GET', path: new RegExp(`/manifests/${pushed.digest}$`), action: { kind: 'corrupt-body', atByte: 10 } });
    const seen = proxy.requests.length;

    const manifest = await getManifest(proxied, 'get/corrupted-once', pushed.digest);

    assert.equal(manifest.digest, pushed.digest);
    assert.deepEqual(manifest.bytes, pushed.bytes);
    const gets = proxy.requests.slice(seen).filter((r) => r.path.endsWith(`/manifests/${pushed.digest}`));
    assert.deepEqual(gets.map((r) => r.fault), ['corrupt-body', undefined]);
  });

  test('bytes that never hash to the requested digest are refused with DIGEST_MISMATCH', async () => {
    const pushed = await pushImage(reg, 'get/corrupted', { tag: 'v1' });
    proxy.addFault({ method: 'GET', path: new RegExp(`/manifests/${pushed.digest}$`), times: Infinity, action: { kind: 'corrupt-body', atByte: 10 } });

    await assert.rejects(getManifest(proxied, 'get/corrupted', pushed.digest), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'DIGEST_MISMATCH');
      assert.ok(error.message.includes(`expected ${pushed.digest}`), error.message);
      return true;
    });
    assert.equal(proxy.requests.at(-1)?.fault, 'corrupt-body');
  });

  test('a Docker schema 1 manifest is refused with MANIFEST_UNSUPPORTED, and the copy writes nothing', async () => {
    // Distribution 2.8 refuses to store schema 1 (MANIFEST_INVALID), so the proxy serves one.
    const schema1 = JSON.stringify({ schemaVersion: 1, name: 'legacy/app', tag: 'old', architecture: 'amd64', fsLayers: [], history: [], signatures: [] });
    proxy.addFault({
      method: 'GET',
      path: /^\/v2\/legacy\/app\/manifests\/old$/,
      times: 2,
      action: { kind: 'status', status: 200, headers: { 'content-type': 'application/vnd.docker.distribution.manifest.v1+prettyjws' }, body: schema1 },
    });
    const engine = createEngine({});
    closers.add(() => engine.close());

    await assert.rejects(getManifest(proxied, 'legacy/app', 'old'), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'MANIFEST_UNSUPPORTED');
      assert.match(error.message, /legacy\/app:old: Docker schema 1 manifests are unsupported/);
      return true;
    });
    await assert.rejects(engine.copyImage(ref(proxy.host, 'legacy/app', 'old'), ref(reg.host, 'legacy/copy')), { code: 'MANIFEST_UNSUPPORTED' });
    assert.deepEqual(await support.listTags(reg, 'legacy/copy'), []);
  });
});

describe('headManifest', () => {
  test('answers the digest, media type and size of a tag, and undefined for an absent one', async () => {
    const pushed = await pushImage(reg, 'head/app', { tag: 'v1' });

    const present = await headManifest(client, 'head/app', 'v1');
    const absent = await headManifest(client, 'head/app', 'v2');

    assert.deepEqual(present, { digest: pushed.digest, mediaType: MediaTypes.ociManifest, size: pushed.size });
    assert.equal(absent, undefined);
  });
});

describe('putManifest', () => {
  test('pushes the bytes unchanged, so the registry and the reader see the same digest', async () => {
    const source = await pushImage(reg, 'put/source', { tag: 'v1' });
    const manifest = await getManifest(client, 'put/source', 'v1');
    // The blobs must exist in the target repository before its manifest.
    await pushImage(reg, 'put/target', { seed: 'put/source/v1' });

    const result = await putManifest(client, 'put/target', 'copied', manifest);

    assert.deepEqual(result, { digest: source.digest, subjectProcessed: false });
    const stored = await support.getManifest(reg, 'put/target', 'copied');
    assert.deepEqual(stored?.bytes, source.bytes);
  });
});
