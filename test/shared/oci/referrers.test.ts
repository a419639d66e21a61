import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { findCosignTags, listReferrers, referrersTag } from '../../../shared/oci/referrers.ts';
import { closeRegistryClients, getManifest, pushImage, pushReferrer, pushSignatureTag } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { createClosers } from './fixtures.ts';

const closers = createClosers();
let reg: TestRegistry;
let client: RegistryClient;

before(async () => {
  reg = await startRegistry({ name: 'referrers' });
  closers.add(() => reg.close());
  client = new RegistryClient(reg.host, {});
  closers.add(() => client.close());
});

after(async () => {
  await closers.closeAll();
  await closeRegistryClients();
});

describe('referrersTag', () => {
  test('turns a digest into the tag schema\'s tag', () => {
    assert.equal(referrersTag(`sha256:${'ab'.repeat(32)}`), `sha256-${'ab'.repeat(32)}`);
  });
});

describe('listReferrers on a registry without the referrers API', () => {
  test('reads the referrers tag schema index', async () => {
    const image = await pushImage(reg, 'refs/app', { tag: 'v1' });
    const sbom = await pushReferrer(reg, 'refs/app', image, 'application/vnd.example.sbom+json');
    const provenance = await pushReferrer(reg, 'refs/app', image, 'application/vnd.example.provenance+json');

    const list = await listReferrers(client, 'refs/app', image.digest);

    assert.equal(list.source, 'tag');
    assert.deepEqual(list.descriptors.map((d) => [d.digest, d.artifactType]), [
      [sbom.digest, sbom.artifactType],
      [provenance.digest, provenance.artifactType],
    ]);
    assert.equal(list.tagIndex?.digest, (await getManifest(reg, 'refs/app', sbom.referrersTag))?.digest);
  });

  test('answers no referrers for an image without a tag schema index', async () => {
    const image = await pushImage(reg, 'refs/none', { tag: 'v1' });

    assert.deepEqual(await listReferrers(client, 'refs/none', image.digest), { descriptors: [], source: 'none' });
  });

  test('trusts a known tag list instead of probing', async () => {
    const image = await pushImage(reg, 'refs/known', { tag: 'v1' });
    await pushReferrer(reg, 'refs/known', image, 'application/vnd.example.sbom+json');

    const list = await listReferrers(client, 'refs/known', image.digest, { knownTags: new Set(['v1']) });

    assert.deepEqual(list, { descriptors: [], source: 'none' });
  });
});

describe('findCosignTags', () => {
  test('finds the signature tag of a digest by HEAD and by a known tag list', async () => {
    const image = await pushImage(reg, 'cosign/app', { tag: 'v1' });
    const other = await pushImage(reg, 'cosign/app', { tag: 'v2', seed: 'other' });
    const signature = await pushSignatureTag(reg, 'cosign/app', image.digest);

    assert.deepEqual(await findCosignTags(client, 'cosign/app', image.digest, undefined), [signature.tag]);
    assert.deepEqual(await findCosignTags(client, 'cosign/app', other.digest, undefined), []);
    assert.deepEqual(await findCosignTags(client, 'cosign/app', image.digest, new Set(['v1', signature.tag, `${referrersTag(image.digest)}.att`])), [
      signature.tag,
      `${referrersTag(image.digest)}.att`,
    ]);
  });
});
