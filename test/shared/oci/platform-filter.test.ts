import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { sha256Digest, type Manifest } from '../../../shared/oci/manifest-schema.ts';
import { MediaType } from '../../../shared/oci/media-types.ts';
import { filterIndex, parsePlatforms, platformMatches } from '../../../shared/oci/platform-filter.ts';

type Index = Extract<Manifest, { kind: 'index' }>;
const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;

function index(manifests: Index['body']['manifests']): Index {
  const body = { schemaVersion: 2 as const, mediaType: MediaType.OciIndex, manifests };
  const bytes = Buffer.from(JSON.stringify(body, null, 2));
  return { kind: 'index', mediaType: MediaType.OciIndex, digest: sha256Digest(bytes), bytes, body };
}

const image = (n: number, os: string, architecture: string, variant?: string) => ({
  mediaType: MediaType.OciManifest,
  digest: d(n),
  size: 100 + n,
  platform: { os, architecture, ...(variant ? { variant } : {}) },
});

/** A buildkit attestation manifest, tied to the image it describes by annotation. */
const attestation = (n: number, of: number) => ({
  mediaType: MediaType.OciManifest,
  digest: d(n),
  size: 50,
  platform: { os: 'unknown', architecture: 'unknown' },
  annotations: { 'vnd.docker.reference.type': 'attestation-manifest', 'vnd.docker.reference.digest': d(of) },
});

describe('parsePlatforms', () => {
  test('reads os/architecture[/variant], comma-separated or as a list', () => {
    assert.deepEqual(parsePlatforms('linux/amd64, linux/arm64/v8'), [
      { os: 'linux', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm64', variant: 'v8' },
    ]);
    assert.deepEqual(parsePlatforms(['windows/amd64', 'linux/arm/v7,']), [
      { os: 'windows', architecture: 'amd64' },
      { os: 'linux', architecture: 'arm', variant: 'v7' },
    ]);
  });

  test('lists every invalid platform at once with PLATFORM_INVALID', () => {
    assert.throws(() => parsePlatforms('linux,linux/amd64,a/b/c/d,linux/am d64'), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'PLATFORM_INVALID');
      assert.deepEqual((error as { problems?: string[] }).problems, [
        'invalid platform "linux" (expected os/architecture[/variant], e.g. linux/arm64)',
        'invalid platform "a/b/c/d" (expected os/architecture[/variant], e.g. linux/arm64)',
        'invalid platform "linux/am d64" (expected os/architecture[/variant], e.g. linux/arm64)',
      ]);
      return true;
    });
  });
});

describe('platformMatches', () => {
  test('a spec without variant matches every variant; one with a variant only that one', () => {
    const arm64v8 = { os: 'linux', architecture: 'arm64', variant: 'v8' };
    assert.equal(platformMatches(arm64v8, parsePlatforms('linux/arm64')), true);
    assert.equal(platformMatches(arm64v8, parsePlatforms('linux/arm64/v8')), true);
    assert.equal(platformMatches({ os: 'linux', architecture: 'arm', variant: 'v6' }, parsePlatforms('linux/arm/v7')), false);
    assert.equal(platformMatches(undefined, parsePlatforms('linux/amd64')), false);
  });
});

describe('filterIndex', () => {
  test('keeps the matching images and their attestations in a new index with its own digest', () => {
    const source = index([image(1, 'linux', 'amd64'), image(2, 'linux', 'arm64', 'v8'), image(3, 'linux', 's390x'), attestation(4, 1), attestation(5, 3)]);

    const filtered = filterIndex(source, parsePlatforms('linux/amd64,linux/arm64'));

    assert.equal(filtered.changed, true);
    assert.deepEqual(filtered.kept.map((m) => m.digest), [d(1), d(2), d(4)]);
    assert.deepEqual(filtered.dropped, ['linux/s390x', 'unknown/unknown']);
    assert.deepEqual(filtered.manifest.body.manifests.map((m) => m.digest), [d(1), d(2), d(4)]);
    assert.equal(filtered.manifest.digest, sha256Digest(filtered.manifest.bytes));
    assert.notEqual(filtered.manifest.digest, source.digest);
    assert.deepEqual(JSON.parse(filtered.manifest.bytes.toString('utf8')), filtered.manifest.body);
  });

  test('keeping every platform keeps the original bytes and digest', () => {
    const source = index([image(1, 'linux', 'amd64'), image(2, 'linux', 'arm64', 'v8'), attestation(4, 1)]);

    const filtered = filterIndex(source, parsePlatforms('linux/amd64,linux/arm64/v8'));

    assert.equal(filtered.changed, false);
    assert.equal(filtered.manifest, source);
    assert.deepEqual(filtered.dropped, []);
  });
});
