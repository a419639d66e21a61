import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import { getManifest, listTags, pushImage, pushReferrer, pushSignatureTag } from '../../support/images.ts';
import { type TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { closeSuite, createClosers, ref, startTwoRegistries } from './fixtures.ts';

// Signatures and attestations follow their image: cosign tags and the referrers tag schema
// (Distribution 2.8 has no referrers API).

const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
let engine: CopyEngine;

before(async () => {
  ({ src, dst, engine } = await startTwoRegistries('copy-referrers', closers));
});

after(() => closeSuite(closers));

describe('copyImage with signatures and referrers', () => {
  const sbom = 'application/vnd.example.sbom+json';

  test('a cosign signature tag and a tag-schema referrer follow the image', async () => {
    const image = await pushImage(src, 'signed/app', { tag: 'v1' });
    const signature = await pushSignatureTag(src, 'signed/app', image.digest);
    const referrer = await pushReferrer(src, 'signed/app', image, sbom);
    const referrersIndex = await getManifest(src, 'signed/app', referrer.referrersTag);
    assert.ok(referrersIndex);

    const result = await engine.copyImage(ref(src.host, 'signed/app', 'v1'), ref(dst.host, 'signed/app'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(result.referrers, { found: 2, copied: 2 });
    await assertImageAt(dst, 'signed/app', 'v1', image);
    await assertImageAt(dst, 'signed/app', signature.tag, signature);
    await assertImageAt(dst, 'signed/app', referrer.digest, referrer);
    assert.equal((await getManifest(dst, 'signed/app', referrer.referrersTag))?.digest, referrersIndex.digest);
    assert.deepEqual((await listTags(dst, 'signed/app')).sort(), [referrer.referrersTag, signature.tag, 'v1'].sort());
  });

  test('with referrers off, neither the signature nor the referrer is copied', async () => {
    const image = await pushImage(src, 'signed/bare', { tag: 'v1' });
    const signature = await pushSignatureTag(src, 'signed/bare', image.digest);
    const referrer = await pushReferrer(src, 'signed/bare', image, sbom);

    const result = await engine.copyImage(ref(src.host, 'signed/bare', 'v1'), ref(dst.host, 'signed/bare'), { referrers: false });

    assert.equal(result.status, 'copied');
    assert.deepEqual(result.referrers, { found: 0, copied: 0 });
    assert.deepEqual(await listTags(dst, 'signed/bare'), ['v1']);
    assert.equal(await getManifest(dst, 'signed/bare', signature.digest), undefined);
    assert.equal(await getManifest(dst, 'signed/bare', referrer.digest), undefined);
  });

  test('signatures added after a copy are copied by the next, up-to-date copy', async () => {
    const image = await pushImage(src, 'signed/later', { tag: 'v1' });
    await engine.copyImage(ref(src.host, 'signed/later', 'v1'), ref(dst.host, 'signed/later'));
    const signature = await pushSignatureTag(src, 'signed/later', image.digest);

    const result = await engine.copyImage(ref(src.host, 'signed/later', 'v1'), ref(dst.host, 'signed/later'));

    assert.equal(result.status, 'up-to-date');
    assert.deepEqual(result.referrers, { found: 1, copied: 1 });
    await assertImageAt(dst, 'signed/later', signature.tag, signature);
  });
});
