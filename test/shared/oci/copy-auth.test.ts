import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadDockerConfig } from '../../../shared/oci/docker-config.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, listTags, pushImage } from '../../support/images.ts';
import { startRegistries, startRegistry, type TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { createClosers, createEngine, createFakeClock, ref } from './fixtures.ts';

const closers = createClosers();
after(async () => {
  await closers.closeAll();
  await closeRegistryClients();
});

function credentialsOf(reg: TestRegistry): { username: string; password: string } {
  assert.ok(reg.credentials, `${reg.host} has no credentials`);
  return reg.credentials;
}

function engineFor(entries: Parameters<typeof createEngine>[0]) {
  const engine = createEngine(entries);
  closers.add(() => engine.close());
  return engine;
}

describe('htpasswd registries', () => {
  let htSrc: TestRegistry;
  let htDst: TestRegistry;
  before(async () => {
    [htSrc, htDst] = (await startRegistries(2, { name: 'htpasswd', auth: 'htpasswd' })) as [TestRegistry, TestRegistry];
    closers.add(() => htSrc.close());
    closers.add(() => htDst.close());
  });

  test('with credentials for both, an image is copied from one to the other', async () => {
    const pushed = await pushImage(htSrc, 'basic/app', { tag: 'v1', layers: 2 });
    const engine = engineFor({ [htSrc.host]: credentialsOf(htSrc), [htDst.host]: credentialsOf(htDst) });

    const result = await engine.copyImage(ref(htSrc.host, 'basic/app', 'v1'), ref(htDst.host, 'basic/app'));

    assert.equal(result.status, 'copied');
    assert.deepEqual(result.blobs, { copied: 3, skipped: 0, mounted: 0, planned: 0 });
    await assertImageAt(htDst, 'basic/app', 'v1', pushed);
  });

  test('without destination credentials the copy fails with REGISTRY_UNAUTHORIZED and tags nothing', async () => {
    await pushImage(htSrc, 'basic/anonymous', { tag: 'v1' });
    const engine = engineFor({ [htSrc.host]: credentialsOf(htSrc) });

    await assert.rejects(engine.copyImage(ref(htSrc.host, 'basic/anonymous', 'v1'), ref(htDst.host, 'basic/anonymous')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_UNAUTHORIZED');
      assert.equal((error as { retryable?: boolean }).retryable, false);
      assert.match(error.message, new RegExp(`${htDst.host}/basic/anonymous.*registry answered 401`));
      return true;
    });
    assert.deepEqual(await listTags(htDst, 'basic/anonymous'), []);
  });

  test('with a wrong source password the copy fails with REGISTRY_UNAUTHORIZED and tags nothing', async () => {
    await pushImage(htSrc, 'basic/wrong', { tag: 'v1' });
    const engine = engineFor({ [htSrc.host]: { username: 'tester', password: 'wrong' }, [htDst.host]: credentialsOf(htDst) });

    await assert.rejects(engine.copyImage(ref(htSrc.host, 'basic/wrong', 'v1'), ref(htDst.host, 'basic/wrong')), { code: 'REGISTRY_UNAUTHORIZED' });
    assert.deepEqual(await listTags(htDst, 'basic/wrong'), []);
  });

  test('credentials from a Docker config.json are enough to copy', async () => {
    const pushed = await pushImage(htSrc, 'basic/docker-config', { tag: 'v1' });
    const dir = await mkdtemp(join(tmpdir(), 'crossdock-docker-config-'));
    closers.add(() => rm(dir, { recursive: true, force: true }));
    const auth = (reg: TestRegistry) => Buffer.from(`${credentialsOf(reg).username}:${credentialsOf(reg).password}`).toString('base64');
    await writeFile(join(dir, 'config.json'), JSON.stringify({ auths: { [htSrc.host]: { auth: auth(htSrc) }, [`http://${htDst.host}`]: { auth: auth(htDst) } } }));

    const entries = await loadDockerConfig(join(dir, 'config.json'));
    const engine = engineFor(entries);
    const result = await engine.copyImage(ref(htSrc.host, 'basic/docker-config', 'v1'), ref(htDst.host, 'basic/docker-config'));

    assert.deepEqual(entries[htSrc.host], credentialsOf(htSrc));
    assert.equal(result.status, 'copied');
    await assertImageAt(htDst, 'basic/docker-config', 'v1', pushed);
  });
});

describe('token registry', () => {
  let tok: TestRegistry;
  /** In front of the registry, to count the requests the tokens were used for. */
  let proxy: FaultProxy;
  before(async () => {
    tok = await startRegistry({ name: 'token', auth: 'token', token: { anonymous: 'pull' } });
    closers.add(() => tok.close());
    proxy = await startFaultProxy(tok.url);
    closers.add(() => proxy.close());
  });

  function issuer() {
    assert.ok(tok.tokenIssuer);
    return tok.tokenIssuer;
  }

  test('several images are copied with one token per scope, not one per request', async () => {
    const images = await Promise.all(['a', 'b', 'c'].map((name) => pushImage(tok, `cached/src-${name}`, { tag: 'v1', seed: name })));
    const engine = engineFor({ [proxy.host]: credentialsOf(tok) });
    const issuedBefore = issuer().issued;
    const tokenRequestsBefore = issuer().requests.length;
    const registryRequestsBefore = proxy.requests.length;

    for (const name of ['a', 'b', 'c']) {
      const result = await engine.copyImage(ref(proxy.host, `cached/src-${name}`, 'v1'), ref(proxy.host, `cached/dst-${name}`));
      assert.equal(result.status, 'copied');
      // Mounting needs a token with pull on the source and push on the destination repository.
      assert.deepEqual(result.blobs, { copied: 0, skipped: 0, mounted: 3, planned: 0 });
    }

    const issued = issuer().issued - issuedBefore;
    const tokenRequests = issuer().requests.slice(tokenRequestsBefore);
    const registryRequests = proxy.requests.length - registryRequestsBefore;
    const scopeSets = tokenRequests.map((r) => [...r.scopes].sort().join(' '));
    // Per image: pull on the source, push on the destination, and both for the mount.
    assert.ok(issued >= 3 && issued <= 9, `${issued} tokens for 3 images`);
    assert.deepEqual(scopeSets, [...new Set(scopeSets)], 'a scope set was asked for twice');
    assert.ok(tokenRequests.every((r) => r.username === 'tester' && r.status === 200));
    assert.ok(registryRequests >= 3 * issued, `${registryRequests} registry requests for ${issued} tokens`);
    for (const [i, name] of ['a', 'b', 'c'].entries()) await assertImageAt(tok, `cached/dst-${name}`, 'v1', images[i]!);
  });

  test('a second copy of the same repositories asks for no new token', async () => {
    await pushImage(tok, 'cached/again', { tag: 'v1' });
    await pushImage(tok, 'cached/again', { tag: 'v2', seed: 'again-v2' });
    const engine = engineFor({ [tok.host]: credentialsOf(tok) });
    await engine.copyImage(ref(tok.host, 'cached/again', 'v1'), ref(tok.host, 'cached/again-copy'));
    const issuedAfterFirst = issuer().issued;

    const result = await engine.copyImage(ref(tok.host, 'cached/again', 'v2'), ref(tok.host, 'cached/again-copy'));

    assert.equal(result.status, 'copied');
    assert.equal(issuer().issued, issuedAfterFirst);
  });

  test('a 401 on a request with a cached token fetches one fresh token and goes on', async () => {
    await pushImage(tok, 'refresh/app', { tag: 'v1' });
    await pushImage(tok, 'refresh/app', { tag: 'v2', seed: 'refresh-v2' });
    const engine = engineFor({ [proxy.host]: credentialsOf(tok) });
    await engine.copyImage(ref(proxy.host, 'refresh/app', 'v1'), ref(proxy.host, 'refresh/copy'));
    const issuedBefore = issuer().issued;
    const challenge = `Bearer realm="${issuer().realm}",service="${issuer().service}",scope="repository:refresh/app:pull",error="invalid_token"`;
    proxy.addFault({ method: 'HEAD', path: /^\/v2\/refresh\/app\/manifests\/v2$/, action: { kind: 'status', status: 401, headers: { 'www-authenticate': challenge } } });
    const from = proxy.requests.length;

    const result = await engine.copyImage(ref(proxy.host, 'refresh/app', 'v2'), ref(proxy.host, 'refresh/copy'));

    assert.equal(result.status, 'copied');
    assert.equal(issuer().issued, issuedBefore + 1);
    assert.deepEqual(issuer().requests.at(-1)?.scopes, ['repository:refresh/app:pull']);
    assert.deepEqual(
      proxy.requests.slice(from).filter((r) => r.path === '/v2/refresh/app/manifests/v2').map((r) => [r.method, r.fault]),
      [['HEAD', 'status'], ['HEAD', undefined]],
    );
  });

  test('a cached token is used until it expires, then fetched again once per scope', async () => {
    await pushImage(tok, 'expiry/app', { tag: 'v1' });
    await pushImage(tok, 'expiry/app', { tag: 'v2', seed: 'expiry-v2' });
    const clock = createFakeClock();
    const engine = createEngine({ [tok.host]: credentialsOf(tok) }, { clock });
    closers.add(() => engine.close());
    const scopesFrom = (start: number) => issuer().requests.slice(start).map((r) => [...r.scopes].sort().join(' ')).sort();

    const firstStart = issuer().requests.length;
    await engine.copyImage(ref(tok.host, 'expiry/app', 'v1'), ref(tok.host, 'expiry/copy'));
    const first = scopesFrom(firstStart);
    await clock.sleep(issuer().expiresIn * 1000 + 1);
    const secondStart = issuer().requests.length;
    const result = await engine.copyImage(ref(tok.host, 'expiry/app', 'v2'), ref(tok.host, 'expiry/copy'));

    assert.equal(result.status, 'copied');
    assert.ok(first.length > 0);
    assert.deepEqual(scopesFrom(secondStart), first);
  });

  test('without credentials the push is refused with REGISTRY_UNAUTHORIZED and nothing is tagged', async () => {
    await pushImage(tok, 'denied/app', { tag: 'v1' });
    const engine = engineFor({});

    await assert.rejects(engine.copyImage(ref(tok.host, 'denied/app', 'v1'), ref(tok.host, 'denied/copy')), { code: 'REGISTRY_UNAUTHORIZED' });
    assert.deepEqual(await listTags(tok, 'denied/copy'), []);
    assert.ok(issuer().requests.some((r) => r.username === undefined && r.scopes.includes('repository:denied/copy:pull,push')));
  });

  test('with a wrong password the token server refuses and the copy fails with REGISTRY_AUTH_FAILED', async () => {
    await pushImage(tok, 'denied/wrong', { tag: 'v1' });
    const engine = engineFor({ [tok.host]: { username: 'tester', password: 'not-the-password' } });

    await assert.rejects(engine.copyImage(ref(tok.host, 'denied/wrong', 'v1'), ref(tok.host, 'denied/wrong-copy')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_AUTH_FAILED');
      assert.match(error.message, /token server refused the credentials \(401\)/);
      assert.doesNotMatch(error.message, /not-the-password/);
      return true;
    });
    assert.deepEqual(await listTags(tok, 'denied/wrong-copy'), []);
  });
});

describe('TLS registry', () => {
  let src: TestRegistry;
  let tls: TestRegistry;
  before(async () => {
    [src, tls] = await Promise.all([startRegistry({ name: 'tls-src' }), startRegistry({ name: 'tls', tls: true })]);
    closers.add(() => src.close());
    closers.add(() => tls.close());
  });

  function certificate() {
    assert.ok(tls.tls);
    return tls.tls;
  }

  test('an untrusted certificate is refused with REGISTRY_TLS_FAILED, not retried, and nothing is written', async () => {
    await pushImage(src, 'tls/refused', { tag: 'v1' });
    const engine = engineFor({});

    await assert.rejects(engine.copyImage(ref(src.host, 'tls/refused', 'v1'), ref(tls.host, 'tls/refused')), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_TLS_FAILED');
      assert.equal((error as { retryable?: boolean }).retryable, false);
      assert.match(error.message, /SELF_SIGNED|certificate/i);
      return true;
    });
    assert.deepEqual(await listTags(tls, 'tls/refused'), []);
  });

  for (const [name, slug, options] of [
    ['its certificate as ca', 'ca', () => ({ ca: certificate().certPem })],
    ['its certificate file as caFile', 'ca-file', () => ({ caFile: certificate().certFile })],
    ['insecure', 'insecure', () => ({ insecure: true })],
  ] as const) {
    test(`with ${name} the copy goes over TLS`, async () => {
      const repo = `tls/${slug}`;
      const pushed = await pushImage(src, repo, { tag: 'v1' });
      const engine = engineFor({ [tls.host]: options() });

      const result = await engine.copyImage(ref(src.host, repo, 'v1'), ref(tls.host, repo));

      assert.equal(result.status, 'copied');
      await assertImageAt(tls, repo, 'v1', pushed);
    });
  }
});
