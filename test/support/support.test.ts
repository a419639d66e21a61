import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { z } from 'zod';
import { startFaultProxy, type FaultProxy } from './fault-proxy.ts';
import {
  getBlob,
  getManifest,
  hasBlob,
  listTags,
  MediaTypes,
  pushBlob,
  pushImage,
  pushIndex,
  pushReferrer,
  pushSignatureTag,
  seededBytes,
} from './images.ts';
import { startRegistry, type TestRegistry } from './registry.ts';
import { closeRegistryClients, sha256Digest } from './registry-client.ts';
import { startTokenIssuer, type TokenIssuer } from './token-issuer.ts';

const closers: Array<() => Promise<void>> = [];
after(async () => {
  await Promise.all(closers.map((close) => close()));
  await closeRegistryClients();
});

async function started<T extends { close(): Promise<void> }>(thing: Promise<T>): Promise<T> {
  const value = await thing;
  closers.push(() => value.close());
  return value;
}

function basic(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`).toString('base64')}`;
}

async function get(url: string, headers: Record<string, string> = {}, dispatcher?: Agent) {
  const res = await request(url, { headers, ...(dispatcher ? { dispatcher } : {}) });
  const body = Buffer.from(await res.body.arrayBuffer());
  return { status: res.statusCode, headers: res.headers, body };
}

describe('plain registry', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await started(startRegistry({ name: 'plain' }));
  });

  test('an image pushed by tag reads back with the same bytes, digest and blobs', async () => {
    const pushed = await pushImage(reg, 'team/app', { tag: 'v1', format: 'docker', layers: 2, layerSize: 4096 });

    const fetched = await getManifest(reg, 'team/app', 'v1');

    assert.ok(fetched);
    assert.equal(fetched.digest, pushed.digest);
    assert.equal(fetched.mediaType, MediaTypes.dockerManifest);
    assert.deepEqual(fetched.bytes, pushed.bytes);
    for (const blob of pushed.blobs) assert.equal(await hasBlob(reg, 'team/app', blob.digest), true);
    const layer = pushed.blobs[1];
    assert.ok(layer);
    assert.equal(sha256Digest(await getBlob(reg, 'team/app', layer.digest)), layer.digest);
    assert.deepEqual(await listTags(reg, 'team/app'), ['v1']);
  });

  test('the same seed gives the same digest and another seed a different one', async () => {
    const a = await pushImage(reg, 'team/seeded', { tag: 'a', seed: 's1' });
    const b = await pushImage(reg, 'team/seeded', { tag: 'b', seed: 's1' });
    const c = await pushImage(reg, 'team/seeded', { tag: 'c', seed: 's2' });

    assert.equal(a.digest, b.digest);
    assert.notEqual(a.digest, c.digest);
  });

  test('an OCI index, its signature tag and a referrer are all readable', async () => {
    const index = await pushIndex(reg, 'team/multi', {
      tag: 'v1',
      format: 'oci',
      platforms: [{ os: 'linux', architecture: 'amd64' }, { os: 'linux', architecture: 'arm64', variant: 'v8' }],
    });
    const signature = await pushSignatureTag(reg, 'team/multi', index.digest);
    const referrer = await pushReferrer(reg, 'team/multi', index, 'application/vnd.example.sbom+json');

    assert.equal((await getManifest(reg, 'team/multi', 'v1'))?.digest, index.digest);
    for (const child of index.children) {
      assert.equal((await getManifest(reg, 'team/multi', child.digest))?.digest, child.digest);
    }
    assert.equal((await getManifest(reg, 'team/multi', signature.tag))?.digest, signature.digest);
    const tagIndex = await getManifest(reg, 'team/multi', referrer.referrersTag);
    assert.ok(tagIndex);
    assert.equal(tagIndex.mediaType, MediaTypes.ociIndex);
    const listed = JSON.parse(tagIndex.bytes.toString('utf8')) as { manifests: Array<{ digest: string; artifactType: string }> };
    assert.deepEqual(listed.manifests.map((m) => [m.digest, m.artifactType]), [[referrer.digest, referrer.artifactType]]);
    assert.deepEqual((await listTags(reg, 'team/multi')).sort(), [referrer.referrersTag, signature.tag, 'v1'].sort());
  });

  test('a missing manifest reads as undefined and a missing blob as absent', async () => {
    assert.equal(await getManifest(reg, 'team/app', 'nope'), undefined);
    assert.equal(await hasBlob(reg, 'team/app', sha256Digest(Buffer.from('nope'))), false);
  });
});

// Distribution 2.8 delivers one pretty-printed envelope per event.
const Envelope = z.looseObject({
  events: z.array(
    z.looseObject({ action: z.string(), target: z.looseObject({ digest: z.string().optional(), tag: z.string().optional() }) }),
  ),
});

describe('registry with notifications', () => {
  test('a push is announced to the notify endpoint with the configured headers', async () => {
    const received: Array<{ authorization: string | undefined; body: string }> = [];
    const sink = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ authorization: req.headers.authorization, body: Buffer.concat(chunks).toString('utf8') });
        res.writeHead(200).end();
      });
    });
    await new Promise<void>((resolve) => sink.listen({ host: '127.0.0.1', port: 0 }, resolve));
    closers.push(() => new Promise<void>((resolve) => sink.close(() => resolve())));
    const { port } = sink.address() as AddressInfo;
    const reg = await started(
      startRegistry({ name: 'notify', notify: { url: `http://127.0.0.1:${port}/events`, headers: { Authorization: ['Bearer hook-token'] } } }),
    );

    const pushed = await pushImage(reg, 'hooked/app', { tag: 'v1' });
    const isManifestPush = (body: string): boolean =>
      Envelope.parse(JSON.parse(body)).events.some(
        (e) => e.action === 'push' && e.target.digest === pushed.digest && e.target.tag === 'v1',
      );
    for (let waited = 0; waited < 5000 && !received.some((r) => isManifestPush(r.body)); waited += 50) await sleep(50);

    const event = received.find((r) => isManifestPush(r.body));
    assert.ok(event, `no push event for ${pushed.digest} among ${received.length} deliveries`);
    assert.equal(event.authorization, 'Bearer hook-token');
  });
});

describe('htpasswd registry', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await started(startRegistry({ auth: 'htpasswd', name: 'htpasswd' }));
  });

  test('rejects an anonymous client with a Basic challenge and accepts tester', async () => {
    const anonymous = await get(`${reg.url}/v2/`);
    const wrong = await get(`${reg.url}/v2/`, { authorization: basic('tester', 'wrong') });
    const tester = await get(`${reg.url}/v2/`, { authorization: basic('tester', 'tester-pass') });

    assert.equal(anonymous.status, 401);
    assert.match(String(anonymous.headers['www-authenticate']), /^Basic realm="crossdock-test"/);
    assert.equal(wrong.status, 401);
    assert.equal(tester.status, 200);
    assert.deepEqual(reg.credentials, { username: 'tester', password: 'tester-pass' });
  });

  test('the helpers push and read with the registry credentials', async () => {
    const pushed = await pushImage(reg, 'secure/app', { tag: 'v1' });
    assert.equal((await getManifest(reg, 'secure/app', 'v1'))?.digest, pushed.digest);
  });
});

describe('token registry', () => {
  let reg: TestRegistry;
  let issuer: TokenIssuer;
  before(async () => {
    reg = await started(startRegistry({ auth: 'token', name: 'token', token: { anonymous: 'pull' } }));
    assert.ok(reg.tokenIssuer);
    issuer = reg.tokenIssuer;
    await pushImage(reg, 'private/app', { tag: 'v1' });
  });

  test('an anonymous GET /v2/ gets a Bearer challenge naming the realm and service', async () => {
    const res = await get(`${reg.url}/v2/`);

    assert.equal(res.status, 401);
    assert.equal(res.headers['www-authenticate'], `Bearer realm="${issuer.realm}",service="crossdock-test"`);
  });

  test('a token issued to tester grants pull and push, and the issuer counts it', async () => {
    const before = issuer.issued;
    const scope = 'repository:private/app:pull,push';
    const answer = await get(`${issuer.realm}?service=crossdock-test&scope=${encodeURIComponent(scope)}`, {
      authorization: basic('tester', 'tester-pass'),
    });
    assert.equal(answer.status, 200);
    const body = JSON.parse(answer.body.toString('utf8')) as { token: string; access_token: string; expires_in: number };
    const bearer = { authorization: `Bearer ${body.token}` };

    const tags = await get(`${reg.url}/v2/private/app/tags/list`, bearer);
    const upload = await request(`${reg.url}/v2/private/app/blobs/uploads/`, { method: 'POST', headers: bearer });
    await upload.body.dump();

    assert.equal(body.access_token, body.token);
    assert.equal(body.expires_in, 300);
    assert.equal(tags.status, 200);
    assert.deepEqual(JSON.parse(tags.body.toString('utf8')), { name: 'private/app', tags: ['v1'] });
    assert.equal(upload.statusCode, 202);
    assert.equal(issuer.issued, before + 1);
    assert.deepEqual(issuer.requests.at(-1)?.scopes, [scope]);
    assert.equal(issuer.requests.at(-1)?.username, 'tester');
  });

  test('an anonymous token grants pull but not push', async () => {
    const answer = await get(`${issuer.realm}?service=crossdock-test&scope=repository:private/app:pull,push`);
    const { token } = JSON.parse(answer.body.toString('utf8')) as { token: string };

    const pull = await get(`${reg.url}/v2/private/app/tags/list`, { authorization: `Bearer ${token}` });
    const push = await request(`${reg.url}/v2/private/app/blobs/uploads/`, { method: 'POST', headers: { authorization: `Bearer ${token}` } });
    await push.body.dump();

    assert.equal(answer.status, 200);
    assert.deepEqual(issuer.requests.at(-1)?.granted, [{ type: 'repository', name: 'private/app', actions: ['pull'] }]);
    assert.equal(pull.status, 200);
    assert.equal(push.statusCode, 401);
  });

  test('a wrong password gets 401 from the issuer', async () => {
    const answer = await get(`${issuer.realm}?service=crossdock-test&scope=repository:private/app:pull`, {
      authorization: basic('tester', 'wrong'),
    });
    assert.equal(answer.status, 401);
  });

  test('a token signed by a key outside the rootcertbundle is refused', async () => {
    const stranger = await started(startTokenIssuer());
    const token = stranger.mintToken([{ type: 'repository', name: 'private/app', actions: ['pull'] }], 'tester');

    const res = await get(`${reg.url}/v2/private/app/tags/list`, { authorization: `Bearer ${token}` });

    assert.equal(res.status, 401);
  });
});

describe('TLS registry', () => {
  let reg: TestRegistry;
  before(async () => {
    reg = await started(startRegistry({ tls: true, name: 'tls' }));
  });

  test('refuses a client that does not trust the certificate and serves one that does', async () => {
    assert.ok(reg.tls);
    const trusting = new Agent({ connect: { ca: reg.tls.certPem } });
    closers.push(() => trusting.close());

    await assert.rejects(get(`${reg.url}/v2/`), { code: 'DEPTH_ZERO_SELF_SIGNED_CERT' });
    const res = await get(`${reg.url}/v2/`, {}, trusting);

    assert.match(reg.url, /^https:\/\/127\.0\.0\.1:\d+$/);
    assert.equal(res.status, 200);
  });

  test('the helpers push and read over TLS', async () => {
    const pushed = await pushImage(reg, 'tls/app', { tag: 'v1' });
    assert.equal((await getManifest(reg, 'tls/app', 'v1'))?.digest, pushed.digest);
  });
});

describe('fault proxy', () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  let blob: Buffer;
  let digest: string;
  before(async () => {
    reg = await started(startRegistry({ name: 'proxied' }));
    proxy = await started(startFaultProxy(reg.url));
    blob = seededBytes('fault-proxy-blob', 256 * 1024);
    digest = (await pushBlob(reg, 'faulty/app', blob)).digest;
  });

  test('answers the scripted 429 once, then forwards', async () => {
    proxy.addFault({ method: 'GET', path: /^\/v2\/$/, action: { kind: 'status', status: 429, headers: { 'retry-after': '1' } } });
    const seen = proxy.requests.length;

    const first = await get(`${proxy.url}/v2/`);
    const second = await get(`${proxy.url}/v2/`);

    assert.equal(first.status, 429);
    assert.equal(first.headers['retry-after'], '1');
    assert.equal(second.status, 200);
    assert.equal(second.headers['docker-distribution-api-version'], 'registry/2.0');
    assert.deepEqual(proxy.requests.slice(seen).map((r) => [r.method, r.path, r.fault]), [
      ['GET', '/v2/', 'status'],
      ['GET', '/v2/', undefined],
    ]);
  });

  test('uploads through the proxy stay on the proxy: Location is rewritten', async () => {
    const target = { url: proxy.url };
    const seen = proxy.requests.length;

    const pushed = await pushImage(target, 'faulty/through', { tag: 'v1', layers: 1, layerSize: 64 * 1024 });

    assert.equal((await getManifest(reg, 'faulty/through', 'v1'))?.digest, pushed.digest);
    const methods = proxy.requests.slice(seen).map((r) => r.method);
    assert.equal(methods.filter((m) => m === 'PUT').length, 3);
  });

  test('corrupt-body keeps the length and changes the digest', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, action: { kind: 'corrupt-body', atByte: 100_000 } });

    const corrupted = await getBlob({ url: proxy.url }, 'faulty/app', digest);
    const clean = await getBlob({ url: proxy.url }, 'faulty/app', digest);

    assert.equal(corrupted.length, blob.length);
    assert.notEqual(sha256Digest(corrupted), digest);
    assert.equal(corrupted[100_000], (blob[100_000] as number) ^ 0xff);
    assert.equal(sha256Digest(clean), digest);
  });

  test('drop-mid-body makes the client see an error', async () => {
    proxy.addFault({ path: /\/blobs\/sha256:/, action: { kind: 'drop-mid-body', afterBytes: 64 * 1024 } });

    await assert.rejects(getBlob({ url: proxy.url }, 'faulty/app', digest), (err: Error) => {
      assert.match(`${err.name} ${err.message} ${String((err as { code?: string }).code)}`, /terminated|closed|socket|premature|ECONNRESET/i);
      return true;
    });
    assert.equal(proxy.requests.at(-1)?.fault, 'drop-mid-body');
  });

  test('delay holds the answer back', async () => {
    proxy.addFault({ path: /^\/v2\/$/, action: { kind: 'delay', ms: 200 } });
    const start = performance.now();

    const res = await get(`${proxy.url}/v2/`);

    assert.equal(res.status, 200);
    assert.ok(performance.now() - start >= 190);
  });
});
