import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  formatReference,
  isDigest,
  manifestReference,
  normalizeRegistry,
  parseReference,
  parseRepositoryName,
  registryApiHost,
} from '../../../shared/oci/reference.ts';

const DIGEST = `sha256:${'0123456789abcdef'.repeat(4)}`;

describe('parseReference', () => {
  for (const [input, expected] of [
    ['alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['alpine:3.19', { registry: 'docker.io', repository: 'library/alpine', tag: '3.19' }],
    ['bitnami/redis:7', { registry: 'docker.io', repository: 'bitnami/redis', tag: '7' }],
    ['docker.io/alpine', { registry: 'docker.io', repository: 'library/alpine' }],
    ['index.docker.io/library/alpine:edge', { registry: 'docker.io', repository: 'library/alpine', tag: 'edge' }],
    ['registry-1.docker.io/org/app', { registry: 'docker.io', repository: 'org/app' }],
    ['ghcr.io/org/team/app:v1.2.3', { registry: 'ghcr.io', repository: 'org/team/app', tag: 'v1.2.3' }],
    ['localhost/app', { registry: 'localhost', repository: 'app' }],
    ['localhost:5000/app:latest', { registry: 'localhost:5000', repository: 'app', tag: 'latest' }],
    ['127.0.0.1:5000/team/app', { registry: '127.0.0.1:5000', repository: 'team/app' }],
    ['[::1]:5000/app:v1', { registry: '[::1]:5000', repository: 'app', tag: 'v1' }],
    ['Registry/app', { registry: 'Registry', repository: 'app' }],
    [`ghcr.io/org/app@${DIGEST}`, { registry: 'ghcr.io', repository: 'org/app', digest: DIGEST }],
    [`ghcr.io/org/app:v1@${DIGEST}`, { registry: 'ghcr.io', repository: 'org/app', tag: 'v1', digest: DIGEST }],
    ['registry.example:443/a__b/c.d/e-f---g:x_Y.z-1', { registry: 'registry.example:443', repository: 'a__b/c.d/e-f---g', tag: 'x_Y.z-1' }],
    ['  alpine:3  ', { registry: 'docker.io', repository: 'library/alpine', tag: '3' }],
  ] as const) {
    test(`"${input}" is ${JSON.stringify(expected)}`, () => {
      assert.deepEqual(parseReference(input), expected);
    });
  }

  for (const [input, why] of [
    ['', /empty reference/],
    ['ghcr.io/Org/app', /invalid repository path component "Org"/],
    ['ghcr.io/org/app:', /invalid tag ""/],
    [`ghcr.io/org/app:${'t'.repeat(129)}`, /invalid tag/],
    ['ghcr.io/org/app:-v1', /invalid tag "-v1"/],
    ['ghcr.io/org/app@sha256:abc', /invalid digest "sha256:abc"/],
    ['ghcr.io/org/app@md5:d41d8cd98f00b204e9800998ecf8427e', /unsupported digest algorithm "md5"/],
    ['ghcr.io/', /missing repository/],
    ['ghcr.io//app', /invalid repository path component ""/],
    ['ghcr.io/org/app_', /invalid repository path component "app_"/],
    ['bad_host.example/app', /invalid registry "bad_host.example"/],
    [`ghcr.io/${'a'.repeat(250)}`, /longer than 255/],
  ] as const) {
    test(`"${input.slice(0, 40)}" is refused with REFERENCE_INVALID: ${why.source}`, () => {
      assert.throws(() => parseReference(input), (error: Error) => {
        assert.equal((error as { code?: string }).code, 'REFERENCE_INVALID');
        assert.match(error.message, why);
        return true;
      });
    });
  }

  test('a 128-character tag is the longest accepted', () => {
    assert.equal(parseReference(`app:${'t'.repeat(128)}`).tag, 't'.repeat(128));
  });
});

describe('parseRepositoryName', () => {
  test('takes no tag and normalises Docker Hub', () => {
    assert.deepEqual(parseRepositoryName('nginx'), { registry: 'docker.io', repository: 'library/nginx' });
    assert.throws(() => parseRepositoryName('nginx:1'), { code: 'REFERENCE_INVALID' });
  });
});

describe('reference helpers', () => {
  test('formatReference writes what parseReference reads', () => {
    for (const input of ['ghcr.io/org/app:v1', `ghcr.io/org/app@${DIGEST}`, `127.0.0.1:5000/app:v1@${DIGEST}`, 'docker.io/library/alpine']) {
      assert.equal(formatReference(parseReference(input)), input);
    }
  });

  test('manifestReference prefers the digest and refuses a reference with neither', () => {
    assert.equal(manifestReference(parseReference(`ghcr.io/app:v1@${DIGEST}`)), DIGEST);
    assert.equal(manifestReference(parseReference('ghcr.io/app:v1')), 'v1');
    assert.throws(() => manifestReference(parseReference('ghcr.io/app')), { code: 'REFERENCE_INVALID', message: /no tag or digest/ });
  });

  test('Docker Hub is served by registry-1.docker.io; other registries by themselves', () => {
    assert.equal(registryApiHost('docker.io'), 'registry-1.docker.io');
    assert.equal(registryApiHost('ghcr.io'), 'ghcr.io');
    assert.equal(normalizeRegistry('Index.Docker.io'), 'docker.io');
    assert.equal(normalizeRegistry('quay.io'), 'quay.io');
  });

  test('isDigest checks the hex length of sha256 and sha512', () => {
    assert.equal(isDigest(DIGEST), true);
    assert.equal(isDigest(`sha512:${'ab'.repeat(64)}`), true);
    assert.equal(isDigest(`sha256:${'ab'.repeat(31)}`), false);
    assert.equal(isDigest(`sha256:${'AB'.repeat(32)}`), false);
    assert.equal(isDigest('v1'), false);
  });
});
