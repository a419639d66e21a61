import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { listTags, nextLink } from '../../../shared/oci/tags.ts';
import { type FaultProxy } from '../../support/fault-proxy.ts';
import { pushImage, pushManifest } from '../../support/images.ts';
import { type TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, startProxiedRegistry } from './fixtures.ts';

describe('nextLink', () => {
  const base = 'https://registry.example/v2/app/tags/list?n=1000';

  test('resolves a relative next link against the request URL', () => {
    assert.equal(nextLink('</v2/app/tags/list?n=1000&last=v9>; rel="next"', base), 'https://registry.example/v2/app/tags/list?n=1000&last=v9');
  });

  test('keeps an absolute next link as it is', () => {
    assert.equal(nextLink('<https://other.example/v2/app/tags/list?last=a>; rel=next', base), 'https://other.example/v2/app/tags/list?last=a');
  });

  test('picks rel="next" among several links, in one header or several', () => {
    const prev = '</v2/app/tags/list?last=a>; rel="prev"';
    const next = '</v2/app/tags/list?last=z>; rel="next"';

    assert.equal(nextLink(`${prev}, ${next}`, base), 'https://registry.example/v2/app/tags/list?last=z');
    assert.equal(nextLink([prev, next], base), 'https://registry.example/v2/app/tags/list?last=z');
    assert.equal(nextLink('</v2/app/tags/list?last=z>; REL="Next"', base), 'https://registry.example/v2/app/tags/list?last=z');
  });

  test('answers undefined without a header or without a next link', () => {
    assert.equal(nextLink(undefined, base), undefined);
    assert.equal(nextLink('</v2/app/tags/list?last=a>; rel="prev"', base), undefined);
    assert.equal(nextLink([], base), undefined);
  });
});

describe('listTags on a registry', () => {
  const closers = createClosers();
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let client: RegistryClient;
  let proxied: RegistryClient;

  before(async () => {
    ({ reg, proxy, client, proxied } = await startProxiedRegistry('tags', closers));
  });

  after(() => closeSuite(closers));

  test('lists every tag of a repository', async () => {
    const image = await pushImage(reg, 'listed/app', { tag: 'v1' });
    for (const tag of ['v2', 'latest', 'v1.2.3-rc.1']) await pushManifest(reg, 'listed/app', tag, image.bytes, image.mediaType);

    const tags = await listTags(client, 'listed/app');

    assert.deepEqual(tags.sort(), ['latest', 'v1', 'v1.2.3-rc.1', 'v2']);
  });

  test('an unknown repository is REGISTRY_NOT_FOUND with NAME_UNKNOWN', async () => {
    await assert.rejects(listTags(client, 'listed/nothing'), { code: 'REGISTRY_NOT_FOUND', ociCodes: ['NAME_UNKNOWN'] });
  });

  test('follows the Link header to the next page and concatenates the pages', async () => {
    // Distribution 2.8 answers every tag in one page whatever `n` says: the proxy scripts page one.
    const image = await pushImage(reg, 'paged/app', { tag: 'b' });
    await pushManifest(reg, 'paged/app', 'c', image.bytes, image.mediaType);
    proxy.addFault({
      method: 'GET',
      path: /^\/v2\/paged\/app\/tags\/list$/,
      action: {
        kind: 'status',
        status: 200,
        headers: { 'content-type': 'application/json', link: '</v2/paged/app/tags/list?n=1000&last=a>; rel="next"' },
        body: JSON.stringify({ name: 'paged/app', tags: ['a'] }),
      },
    });
    const from = proxy.requests.length;

    const tags = await listTags(proxied, 'paged/app');

    assert.deepEqual(tags.slice(0, 1), ['a']);
    assert.deepEqual(tags.slice(1).sort(), ['b', 'c']);
    assert.deepEqual(
      proxy.requests.slice(from).filter((r) => r.path.endsWith('/tags/list')).map((r) => [r.url, r.fault]),
      [
        ['/v2/paged/app/tags/list?n=1000', 'status'],
        ['/v2/paged/app/tags/list?n=1000&last=a', undefined],
      ],
    );
  });

  test('a tag list that is not JSON is a retryable REGISTRY_PROTOCOL error', async () => {
    await pushImage(reg, 'garbled/app', { tag: 'v1' });
    proxy.addFault({ method: 'GET', path: /^\/v2\/garbled\/app\/tags\/list$/, action: { kind: 'status', status: 200, body: '<html>proxy error</html>' } });

    await assert.rejects(listTags(proxied, 'garbled/app'), { code: 'REGISTRY_PROTOCOL', retryable: true });
  });
});
