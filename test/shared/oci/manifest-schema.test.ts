import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { digestOf, manifestBlobs, parseManifest, sha256Digest } from '../../../shared/oci/manifest-schema.ts';
import { MediaType } from '../../../shared/oci/media-types.ts';

const d = (n: number) => `sha256:${n.toString(16).padStart(64, '0')}`;
const layer = (n: number) => ({ mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip', digest: d(n), size: n * 10 });
const config = { mediaType: MediaType.OciConfig, digest: d(1), size: 10 };

function parse(body: unknown, contentType?: string) {
  const bytes = Buffer.from(JSON.stringify(body));
  return parseManifest(bytes, contentType, sha256Digest(bytes), 'GET manifest r/a:v1');
}

describe('parseManifest', () => {
  test('keeps the exact bytes and classifies an OCI image manifest', () => {
    const bytes = Buffer.from(`{ "schemaVersion": 2, "mediaType": "${MediaType.OciManifest}", "config": ${JSON.stringify(config)}, "layers": [] }`);

    const manifest = parseManifest(bytes, MediaType.OciManifest, sha256Digest(bytes), 'what');

    assert.equal(manifest.kind, 'image');
    assert.equal(manifest.mediaType, MediaType.OciManifest);
    assert.equal(manifest.bytes, bytes);
    assert.equal(manifest.digest, sha256Digest(bytes));
  });

  test('takes the body\'s mediaType over the Content-Type', () => {
    const manifest = parse({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config, layers: [] }, 'application/json');
    assert.equal(manifest.mediaType, MediaType.DockerManifest);
  });

  test('takes the Content-Type, parameters stripped, when the body names no mediaType', () => {
    const manifest = parse({ schemaVersion: 2, manifests: [] }, `${MediaType.DockerManifestList}; charset=utf-8`);
    assert.deepEqual([manifest.kind, manifest.mediaType], ['index', MediaType.DockerManifestList]);
  });

  test('classifies a body without any media type by its shape', () => {
    assert.deepEqual(
      [parse({ schemaVersion: 2, manifests: [] }), parse({ schemaVersion: 2, config, layers: [] }, 'application/json')].map((m) => [m.kind, m.mediaType]),
      [
        ['index', MediaType.OciIndex],
        ['image', MediaType.OciManifest],
      ],
    );
  });

  test('refuses Docker schema 1, by media type or by schemaVersion, with MANIFEST_UNSUPPORTED', () => {
    const schema1 = { schemaVersion: 1, name: 'r/a', tag: 'v1', fsLayers: [], history: [] };
    for (const [body, contentType] of [
      [schema1, MediaType.DockerSchema1Signed],
      [schema1, MediaType.DockerSchema1],
      [schema1, 'application/json'],
      [{ ...schema1, schemaVersion: 2 }, MediaType.DockerSchema1Signed],
    ] as const) {
      assert.throws(() => parse(body, contentType), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'MANIFEST_UNSUPPORTED');
        assert.equal((error as { retryable?: boolean }).retryable, false);
        assert.equal(error.message, 'GET manifest r/a:v1: Docker schema 1 manifests are unsupported (deprecated and unsigned-by-digest); convert the image to schema 2 or OCI first');
        return true;
      });
    }
  });

  test('refuses bytes that are not JSON, and a manifest missing required fields, with MANIFEST_INVALID', () => {
    assert.throws(() => parseManifest(Buffer.from('<html>'), MediaType.OciManifest, d(0), 'what'), { code: 'MANIFEST_INVALID', message: 'what: manifest is not valid JSON' });
    assert.throws(() => parse({ schemaVersion: 2, mediaType: MediaType.OciManifest, layers: [] }), { code: 'MANIFEST_INVALID', message: /invalid image manifest: config/ });
    assert.throws(() => parse({ schemaVersion: 2, mediaType: MediaType.OciIndex, manifests: [{ digest: d(2) }] }), { code: 'MANIFEST_INVALID', message: /invalid index: manifests\.0\.mediaType/ });
  });
});

describe('manifestBlobs', () => {
  test('lists the config, then the layers, leaving out foreign layers', () => {
    const foreign = { ...layer(3), urls: ['https://foreign.example/layer'] };
    const manifest = parse({ schemaVersion: 2, mediaType: MediaType.DockerManifest, config, layers: [layer(2), foreign, layer(4)] });
    assert.ok(manifest.kind === 'image');

    assert.deepEqual(manifestBlobs(manifest.body).map((b) => b.digest), [d(1), d(2), d(4)]);
  });
});

describe('digestOf', () => {
  test('hashes with sha256 or sha512 and refuses other algorithms', () => {
    const bytes = Buffer.from('hello');
    assert.equal(digestOf(bytes, 'sha256'), 'sha256:2cf24dba5fb0a30e26e83b2ac5b9e29e1b161e5c1fa7425e73043362938b9824');
    assert.match(digestOf(bytes, 'sha512'), /^sha512:[0-9a-f]{128}$/);
    assert.throws(() => digestOf(bytes, 'md5'), { code: 'MANIFEST_UNSUPPORTED' });
  });
});
