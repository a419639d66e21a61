import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import { parsePlatforms } from '../../../shared/oci/platform-filter.ts';
import {
  getManifest,
  hasBlob,
  listTags,
  MediaTypes,
  pushImage,
  pushIndex,
  pushManifest,
  pushSignatureTag,
  seededBytes,
  sha256Digest } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { closeSuite, createClosers, ref, startTwoRegistries } from './fixtures.ts';

const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
let engine: CopyEngine;

before(async () => {
  ({ src, dst, engine } = await startTwoRegistries('copy', closers));
});

after(() => closeSuite(closers));

describe('copyImage preserves digests', () => {
  test('a Docker v2 manifest arrives with the same bytes, digest and blobs', async () => {
    const pushed = await pushImage(src, 'formats/docker', { tag: 'v1', format: 'docker', layers: 2, layerSize: 8192 });

    const result = await engine.copyImage(ref(src.host, 'formats/docker', 'v1'), ref(dst.host, 'formats/docker'));

    assert.equal(result.status, 'copied');
    assert.equal(result.digest, pushed.digest);
    assert.equal(result.sourceDigest, pushed.digest);
    assert.equal(result.digestPreserved, true);
    assert.equal(result.mediaType, MediaTypes.dockerManifest);
    assert.equal(result.manifests, 1);
    assert.deepEqual(result.blobs, { copied: 3, skipped: 0, mounted: 0, planned: 0 });
    assert.equal(result.bytes, pushed.blobs.reduce((sum, b) => sum + b.size, 0));
    await assertImageAt(dst, 'formats/docker', 'v1', pushed);
  });

  test('an OCI manifest arrives with the same bytes, digest and blobs', async () => {
    const pushed = await pushImage(src, 'formats/oci', { tag: 'v1', format: 'oci', layers: 3 });

    const result = await engine.copyImage(ref(src.host, 'formats/oci', 'v1'), ref(dst.host, 'formats/oci', 'copied'));

    assert.equal(result.status, 'copied');
    assert.equal(result.digest, pushed.digest);
    assert.equal(result.digestPreserved, true);
    assert.equal(result.blobs.copied, 4);
    await assertImageAt(dst, 'formats/oci', 'copied', pushed);
    assert.deepEqual(await listTags(dst, 'formats/oci'), ['copied']);
  });

  test('a Docker manifest list arrives with every child manifest and blob', async () => {
    const pushed = await pushIndex(src, 'formats/list', {
      tag: 'v1',
      format: 'docker',
      platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm', variant: 'v7' }],
    });

    const result = await engine.copyImage(ref(src.host, 'formats/list', 'v1'), ref(dst.host, 'formats/list'));

    assert.equal(result.status, 'copied');
    assert.equal(result.digest, pushed.digest);
    assert.equal(result.digestPreserved, true);
    assert.equal(result.mediaType, MediaTypes.dockerManifestList);
    assert.equal(result.manifests, 3);
    assert.equal(result.blobs.copied, 6);
    await assertImageAt(dst, 'formats/list', 'v1', pushed);
  });

  test('an OCI index arrives with every child manifest and blob', async () => {
    const pushed = await pushIndex(src, 'formats/index', {
      tag: 'v1',
      format: 'oci',
      platforms: [
        { os: 'linux', architecture: 'amd64' },
        { os: 'linux', architecture: 'arm64', variant: 'v8' },
        { os: 'linux', architecture: 's390x' },
      ],
    });

    const result = await engine.copyImage(ref(src.host, 'formats/index', 'v1'), ref(dst.host, 'formats/index'));

    assert.equal(result.status, 'copied');
    assert.equal(result.digest, pushed.digest);
    assert.equal(result.digestPreserved, true);
    assert.equal(result.manifests, 4);
    await assertImageAt(dst, 'formats/index', 'v1', pushed);
  });

  test('children of an index that share a layer upload it once', async () => {
    const base = seededBytes('formats/shared-base', 32 * 1024);
    const children = [];
    for (const architecture of ['amd64', 'arm64']) {
      children.push(await pushImage(src, 'formats/shared', { seed: architecture, platform: { os: 'linux', architecture }, layers: 1, sharedLayers: [base] }));
    }
    const manifests = children.map((c, i) => ({ mediaType: c.mediaType, digest: c.digest, size: c.size, platform: { os: 'linux', architecture: ['amd64', 'arm64'][i] } }));
    const bytes = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests }));
    await pushManifest(src, 'formats/shared', 'v1', bytes, MediaTypes.ociIndex);
    const unique = new Map(children.flatMap((c) => c.blobs).map((b) => [b.digest, b.size]));

    const result = await engine.copyImage(ref(src.host, 'formats/shared', 'v1'), ref(dst.host, 'formats/shared'));

    assert.equal(result.status, 'copied');
    assert.equal(result.digest, sha256Digest(bytes));
    assert.deepEqual(result.blobs, { copied: unique.size, skipped: 1, mounted: 0, planned: 0 });
    assert.equal(result.bytes, [...unique.values()].reduce((sum, size) => sum + size, 0));
    for (const child of children) await assertImageAt(dst, 'formats/shared', child.digest, child);
  });

  test('a source named by digest is copied to the destination tag', async () => {
    const pushed = await pushImage(src, 'formats/by-digest', { tag: 'v1' });
    const source = { ...ref(src.host, 'formats/by-digest'), digest: pushed.digest };

    const result = await engine.copyImage(source, ref(dst.host, 'formats/by-digest', 'pinned'));

    assert.equal(result.status, 'copied');
    await assertImageAt(dst, 'formats/by-digest', 'pinned', pushed);
  });
});

describe('copyImage at an existing destination', () => {
  test('copying again is up-to-date: no manifest written, no blob copied', async () => {
    const pushed = await pushIndex(src, 'existing/same', { tag: 'v1', format: 'oci', platforms: [{ os: 'linux', architecture: 'amd64' }] });
    await engine.copyImage(ref(src.host, 'existing/same', 'v1'), ref(dst.host, 'existing/same'));

    const again = await engine.copyImage(ref(src.host, 'existing/same', 'v1'), ref(dst.host, 'existing/same'));

    assert.equal(again.status, 'up-to-date');
    assert.equal(again.digest, pushed.digest);
    assert.equal(again.manifests, 0);
    assert.deepEqual(again.blobs, { copied: 0, skipped: 0, mounted: 0, planned: 0 });
    assert.equal(again.bytes, 0);
    await assertImageAt(dst, 'existing/same', 'v1', pushed);
  });

  test('a different image at the tag is kept when overwrite is off, with a reason naming both digests', async () => {
    const wanted = await pushImage(src, 'existing/other', { tag: 'v1', seed: 'wanted' });
    const present = await pushImage(dst, 'existing/other', { tag: 'v1', seed: 'present' });

    const result = await engine.copyImage(ref(src.host, 'existing/other', 'v1'), ref(dst.host, 'existing/other'));

    assert.equal(result.status, 'skipped');
    assert.ok(result.reason?.includes(wanted.digest), result.reason);
    assert.ok(result.reason?.includes(present.digest), result.reason);
    assert.match(result.reason ?? '', /overwrite is off/);
    assert.equal(result.manifests, 0);
    assert.deepEqual(result.blobs, { copied: 0, skipped: 0, mounted: 0, planned: 0 });
    assert.equal((await getManifest(dst, 'existing/other', 'v1'))?.digest, present.digest);
    for (const blob of wanted.blobs) assert.equal(await hasBlob(dst, 'existing/other', blob.digest), false);
  });

  test('a different image at the tag is replaced when overwrite is on', async () => {
    const wanted = await pushImage(src, 'existing/replaced', { tag: 'v1', seed: 'wanted' });
    await pushImage(dst, 'existing/replaced', { tag: 'v1', seed: 'present' });

    const result = await engine.copyImage(ref(src.host, 'existing/replaced', 'v1'), ref(dst.host, 'existing/replaced'), { overwrite: true });

    assert.equal(result.status, 'copied');
    assert.equal(result.digest, wanted.digest);
    await assertImageAt(dst, 'existing/replaced', 'v1', wanted);
  });

  test('a destination reference with a digest is refused before anything is read', async () => {
    const pushed = await pushImage(src, 'existing/digest-dst', { tag: 'v1' });
    const destination = { ...ref(dst.host, 'existing/digest-dst'), digest: pushed.digest };

    await assert.rejects(engine.copyImage(ref(src.host, 'existing/digest-dst', 'v1'), destination), { code: 'REFERENCE_INVALID' });
    assert.deepEqual(await listTags(dst, 'existing/digest-dst'), []);
  });
});

describe('copyImage with a platform filter', () => {
  const platforms = [
    { os: 'linux', architecture: 'amd64' },
    { os: 'linux', architecture: 'arm64', variant: 'v8' },
    { os: 'windows', architecture: 'amd64' },
  ];

  test('keeping two of three platforms writes a new index listing exactly those two', async () => {
    const pushed = await pushIndex(src, 'platforms/some', { tag: 'v1', format: 'oci', platforms });
    const [amd64, arm64, windows] = pushed.children as [typeof pushed, typeof pushed, typeof pushed];

    const result = await engine.copyImage(ref(src.host, 'platforms/some', 'v1'), ref(dst.host, 'platforms/some'), {
      platforms: parsePlatforms('linux/amd64,linux/arm64'),
    });

    assert.equal(result.status, 'copied');
    assert.equal(result.digestPreserved, false);
    assert.equal(result.sourceDigest, pushed.digest);
    assert.notEqual(result.digest, pushed.digest);
    assert.match(result.reason ?? '', /platform filter kept linux\/amd64, linux\/arm64\/v8/);
    assert.deepEqual(result.platforms, { kept: ['linux/amd64', 'linux/arm64/v8'], dropped: ['windows/amd64'] });
    const index = await getManifest(dst, 'platforms/some', 'v1');
    assert.ok(index);
    assert.equal(index.digest, result.digest);
    const listed = JSON.parse(index.bytes.toString('utf8')) as { manifests: Array<{ digest: string; platform: unknown }> };
    assert.deepEqual(listed.manifests.map((m) => [m.digest, m.platform]), [
      [amd64.digest, platforms[0]],
      [arm64.digest, platforms[1]],
    ]);
    await assertImageAt(dst, 'platforms/some', amd64.digest, amd64);
    await assertImageAt(dst, 'platforms/some', arm64.digest, arm64);
    assert.equal(await getManifest(dst, 'platforms/some', windows.digest), undefined);
    for (const blob of windows.blobs) assert.equal(await hasBlob(dst, 'platforms/some', blob.digest), false);
  });

  test('a filter matching every platform keeps the source index and its digest', async () => {
    const pushed = await pushIndex(src, 'platforms/all', { tag: 'v1', format: 'docker', platforms });

    const result = await engine.copyImage(ref(src.host, 'platforms/all', 'v1'), ref(dst.host, 'platforms/all'), {
      platforms: parsePlatforms(['linux/amd64', 'linux/arm64/v8', 'windows/amd64']),
    });

    assert.equal(result.status, 'copied');
    assert.equal(result.digestPreserved, true);
    assert.equal(result.digest, pushed.digest);
    assert.equal(result.reason, undefined);
    await assertImageAt(dst, 'platforms/all', 'v1', pushed);
  });

  test('a filter matching no platform skips the image and writes nothing', async () => {
    await pushIndex(src, 'platforms/none', { tag: 'v1', format: 'oci', platforms });

    const result = await engine.copyImage(ref(src.host, 'platforms/none', 'v1'), ref(dst.host, 'platforms/none'), {
      platforms: parsePlatforms('linux/riscv64'),
    });

    assert.equal(result.status, 'skipped');
    assert.match(result.reason ?? '', /no platform of the source matches linux\/riscv64/);
    assert.deepEqual(await listTags(dst, 'platforms/none'), []);
  });
});

describe('copyImage dry run', () => {
  test('plans the copy, counts its bytes and writes nothing', async () => {
    const pushed = await pushIndex(src, 'dry/run', { tag: 'v1', format: 'oci', platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64' }] });
    const signature = await pushSignatureTag(src, 'dry/run', pushed.digest);
    const blobs = [...pushed.children.flatMap((c) => c.blobs), ...signature.blobs];

    const result = await engine.copyImage(ref(src.host, 'dry/run', 'v1'), ref(dst.host, 'dry/run'), { dryRun: true });

    assert.equal(result.status, 'planned');
    assert.equal(result.digest, pushed.digest);
    assert.deepEqual(result.blobs, { copied: 0, skipped: 0, mounted: 0, planned: blobs.length });
    assert.equal(result.bytes, blobs.reduce((sum, b) => sum + b.size, 0));
    assert.deepEqual(result.referrers, { found: 1, copied: 1 });
    assert.deepEqual(await listTags(dst, 'dry/run'), []);
    assert.equal(await getManifest(dst, 'dry/run', pushed.digest), undefined);
    assert.equal(await getManifest(dst, 'dry/run', signature.digest), undefined);
    for (const child of pushed.children) assert.equal(await getManifest(dst, 'dry/run', child.digest), undefined);
    for (const blob of blobs) assert.equal(await hasBlob(dst, 'dry/run', blob.digest), false);
  });
});
