import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import type { FaultProxy } from '../../support/fault-proxy.ts';
import { getManifest, pushImage, pushIndex, pushReferrer } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { closeSuite, createClosers, createEngine, createFakeClock, FAST_RETRY, ref, startProxiedPair } from './fixtures.ts';

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
  ({ src, dst, proxy, dstProxy } = await startProxiedPair('requests', closers));
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

/** Manifest requests the source saw from `from` on, as "METHOD reference". */
function manifestRequests(from: number): string[] {
  return proxy.requests.slice(from).flatMap((r) => {
    const match = /\/manifests\/([^/]+)$/.exec(r.path);
    return match ? [`${r.method} ${match[1]}`] : [];
  });
}

describe('copyImage reads the source manifest only when something must be copied', () => {
  test('an up-to-date image costs the source one HEAD and no manifest GET', async () => {
    const pushed = await pushImage(src, 'head/single', { tag: 'v1' });
    await engine().copyImage(ref(proxy.host, 'head/single', 'v1'), ref(dst.host, 'head/single'));
    const from = proxy.requests.length;

    const result = await engine().copyImage(ref(proxy.host, 'head/single', 'v1'), ref(dst.host, 'head/single'));

    assert.equal(result.status, 'up-to-date');
    assert.equal(result.digest, pushed.digest);
    assert.equal(result.mediaType, pushed.mediaType);
    assert.deepEqual(manifestRequests(from).filter((r) => r.startsWith('GET ')), []);
    assert.deepEqual(manifestRequests(from).filter((r) => r.endsWith(' v1')), ['HEAD v1']);
  });

  test('an up-to-date index with referrers looks for the referrers of its children without a source manifest GET', async () => {
    const index = await pushIndex(src, 'head/index', { tag: 'v1', format: 'oci', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
    const child = index.children[1]!;
    const signature = await pushReferrer(src, 'head/index', child, 'application/vnd.example.signature');
    await engine().copyImage(ref(proxy.host, 'head/index', 'v1'), ref(dst.host, 'head/index'));
    assert.ok(await getManifest(dst, 'head/index', signature.digest), 'the first copy brought the child\'s referrer');
    const from = proxy.requests.length;

    const result = await engine().copyImage(ref(proxy.host, 'head/index', 'v1'), ref(dst.host, 'head/index'));

    assert.equal(result.status, 'up-to-date');
    assert.equal(result.referrers.found, 1);
    // Only the referrers tag-schema index is read (a registry without the referrers API keeps the
    // list there); the image, its index and its children are not.
    assert.deepEqual(manifestRequests(from).filter((r) => r.startsWith('GET ') && !r.includes(' sha256-')), []);
  });

  test('a different image kept at the destination (overwrite off) costs no source manifest GET', async () => {
    await pushImage(src, 'head/kept', { tag: 'v1', seed: 'source-side' });
    const other = await pushImage(dst, 'head/kept', { tag: 'v1', seed: 'destination-side' });
    const from = proxy.requests.length;

    const result = await engine().copyImage(ref(proxy.host, 'head/kept', 'v1'), ref(dst.host, 'head/kept'), { overwrite: false });

    assert.equal(result.status, 'skipped');
    assert.match(result.reason ?? '', new RegExp(`holds ${other.digest}`));
    assert.deepEqual(manifestRequests(from).filter((r) => r.startsWith('GET ')), []);
  });

  test('an image that must be copied is read once, by the digest its HEAD answered', async () => {
    const pushed = await pushImage(src, 'head/new', { tag: 'v1' });
    const from = proxy.requests.length;

    const result = await engine().copyImage(ref(proxy.host, 'head/new', 'v1'), ref(dst.host, 'head/new'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(manifestRequests(from).filter((r) => !r.includes('sha256-')), ['HEAD v1', `GET ${pushed.digest}`]);
    await assertImageAt(dst, 'head/new', 'v1', pushed);
  });
});

describe('copyImage with the destination tags already listed', () => {
  test('a tag known to be absent at the destination costs the source one manifest GET and no HEAD', async () => {
    const pushed = await pushImage(src, 'head/listed', { tag: 'v1' });
    const from = proxy.requests.length;

    const result = await engine().copyImage(ref(proxy.host, 'head/listed', 'v1'), ref(dst.host, 'head/listed'), { destinationTags: new Set(['other']) });

    assert.equal(result.status, 'copied');
    assert.deepEqual(manifestRequests(from).filter((r) => !r.includes('sha256-')), ['GET v1']);
    await assertImageAt(dst, 'head/listed', 'v1', pushed);
  });
});

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
