import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { after, afterEach, before, describe, test } from 'node:test';
import { openBlob, putBlob, startUpload } from '../../../shared/oci/blobs.ts';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { getManifest, putManifest } from '../../../shared/oci/manifests.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, getBlob, hasBlob, pushImage, seededBytes, sha256Digest } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from './destination.ts';
import { createClosers, createEngine, createFakeClock, FAST_RETRY, ref } from './fixtures.ts';

const closers = createClosers();
after(async () => {
  await closers.closeAll();
  await closeRegistryClients();
});

type StorageRequest = { url: string; headers: IncomingHttpHeaders };

/**
 * A blob store on its own port, like S3 behind a registry's redirect: it serves
 * `/storage/<digest>?repo=<repository>` with bytes read from the registry, and records what it
 * was sent.
 */
async function startBlobStore(reg: TestRegistry): Promise<{ url: string; requests: StorageRequest[]; close(): Promise<void> }> {
  const requests: StorageRequest[] = [];
  const server = createServer((req, res) => {
    requests.push({ url: req.url ?? '', headers: req.headers });
    const url = new URL(req.url ?? '/', 'http://storage');
    const digest = url.pathname.replace(/^\/storage\//, '');
    getBlob(reg, url.searchParams.get('repo') ?? '', digest).then(
      (bytes) => res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': bytes.length }).end(bytes),
      (error: Error) => res.writeHead(502, { 'content-type': 'text/plain' }).end(error.message),
    );
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

describe('redirects from an htpasswd registry', () => {
  let ht: TestRegistry;
  let dst: TestRegistry;
  /** In front of the registry: answers the scripted 307s, forwards the rest. */
  let front: FaultProxy;
  let store: Awaited<ReturnType<typeof startBlobStore>>;

  before(async () => {
    [ht, dst] = await Promise.all([startRegistry({ name: 'redirect', auth: 'htpasswd' }), startRegistry({ name: 'redirect-dst' })]);
    closers.add(() => ht.close());
    closers.add(() => dst.close());
    front = await startFaultProxy(ht.url);
    closers.add(() => front.close());
    store = await startBlobStore(ht);
    closers.add(() => store.close());
  });

  afterEach(() => front.clearFaults());

  function credentials() {
    assert.ok(ht.credentials);
    return ht.credentials;
  }

  test('blobs redirected to another host are fetched without our Authorization header', async () => {
    const pushed = await pushImage(ht, 'redirected/app', { tag: 'v1', layers: 2 });
    for (const blob of pushed.blobs) {
      front.addFault({
        method: 'GET',
        path: new RegExp(`/blobs/${blob.digest}$`),
        action: { kind: 'status', status: 307, headers: { location: `${store.url}/storage/${blob.digest}?repo=redirected/app&X-Amz-Signature=presigned` } },
      });
    }
    const engine = createEngine({ [front.host]: credentials() });
    closers.add(() => engine.close());
    const storeSeen = store.requests.length;

    const result = await engine.copyImage(ref(front.host, 'redirected/app', 'v1'), ref(dst.host, 'redirected/app'));

    assert.equal(result.status, 'copied');
    await assertImageAt(dst, 'redirected/app', 'v1', pushed);
    const received = store.requests.slice(storeSeen);
    assert.deepEqual(received.map((r) => r.url.split('?')[0]).sort(), pushed.blobs.map((b) => `/storage/${b.digest}`).sort());
    assert.deepEqual(received.map((r) => r.headers.authorization), pushed.blobs.map(() => undefined));
  });

  test('a redirect to the registry\'s own origin keeps the credentials', async () => {
    const bytes = seededBytes('redirect/same-origin', 4096);
    const pushed = await pushImage(ht, 'redirected/same', { tag: 'v1', layers: 0, sharedLayers: [bytes] });
    const layer = pushed.blobs[1];
    assert.ok(layer);
    front.addFault({
      method: 'GET',
      path: new RegExp(`/blobs/${layer.digest}$`),
      action: { kind: 'status', status: 307, headers: { location: `/v2/redirected/same/blobs/${layer.digest}?hop=1` } },
    });
    const client = new RegistryClient(front.host, credentials());
    closers.add(() => client.close());
    const from = front.requests.length;

    const chunks: Buffer[] = [];
    for await (const chunk of await openBlob(client, 'redirected/same', layer.digest)) chunks.push(chunk as Buffer);

    assert.equal(sha256Digest(Buffer.concat(chunks)), sha256Digest(bytes));
    assert.deepEqual(
      front.requests.slice(from).filter((r) => r.path.includes('/blobs/')).map((r) => [r.url, r.fault]),
      [
        [`/v2/redirected/same/blobs/${layer.digest}`, 'status'],
        [`/v2/redirected/same/blobs/${layer.digest}?hop=1`, undefined],
      ],
    );
  });
});

describe('retries in RegistryClient.send', () => {
  let reg: TestRegistry;
  let proxy: FaultProxy;
  before(async () => {
    reg = await startRegistry({ name: 'client-retry' });
    closers.add(() => reg.close());
    proxy = await startFaultProxy(reg.url);
    closers.add(() => proxy.close());
  });

  afterEach(() => proxy.clearFaults());

  function clientWith(retryPolicy = FAST_RETRY) {
    const clock = createFakeClock();
    const client = new RegistryClient(proxy.host, {}, { sleep: clock.sleep, now: clock.now, retryPolicy });
    closers.add(() => client.close());
    return { client, clock };
  }

  test('a request with a Buffer body is sent again after a 503', async () => {
    const pushed = await pushImage(reg, 'replay/manifest', { tag: 'v1' });
    const { client } = clientWith();
    const manifest = await getManifest(client, 'replay/manifest', 'v1');
    proxy.addFault({ method: 'PUT', path: /\/manifests\/again$/, action: { kind: 'status', status: 503 } });
    const from = proxy.requests.length;

    await putManifest(client, 'replay/manifest', 'again', manifest);

    assert.deepEqual(proxy.requests.slice(from).map((r) => [r.method, r.fault]), [['PUT', 'status'], ['PUT', undefined]]);
    assert.equal((await getManifest(client, 'replay/manifest', 'again')).digest, pushed.digest);
  });

  test('a request with a streamed body is never sent twice: the 503 is the caller\'s to retry', async () => {
    const { client, clock } = clientWith();
    const bytes = seededBytes('replay/stream', 1024);
    const digest = sha256Digest(bytes);
    const start = await startUpload(client, 'replay/stream');
    assert.ok(start.kind === 'session');
    proxy.addFault({ method: 'PUT', path: /\/blobs\/uploads\//, action: { kind: 'status', status: 503 } });
    const from = proxy.requests.length;

    await assert.rejects(putBlob(client, 'replay/stream', start.location, digest, bytes.length, Readable.from([bytes])), {
      code: 'REGISTRY_UNAVAILABLE',
      retryable: true,
    });
    assert.deepEqual(proxy.requests.slice(from).map((r) => [r.method, r.fault]), [['PUT', 'status']]);
    assert.deepEqual(clock.sleeps, []);
    assert.equal(await hasBlob(reg, 'replay/stream', digest), false);
  });

  test('a Retry-After makes the next request to the same registry wait too', async () => {
    await pushImage(reg, 'paced/app', { tag: 'v1' });
    const { client, clock } = clientWith({ ...FAST_RETRY, attempts: 1 });
    proxy.addFault({ method: 'GET', path: /\/manifests\/v1$/, action: { kind: 'status', status: 429, headers: { 'retry-after': '2' } } });

    await assert.rejects(getManifest(client, 'paced/app', 'v1'), { code: 'REGISTRY_RATE_LIMITED', retryAfterMs: 2000 });
    const manifest = await getManifest(client, 'paced/app', 'v1');

    assert.equal(manifest.kind, 'image');
    assert.deepEqual(clock.sleeps, [2000]);
  });

  test('a Retry-After beyond the caller\'s deadline fails at once with DEADLINE_EXCEEDED', async () => {
    await pushImage(reg, 'deadline/app', { tag: 'v1' });
    const { client, clock } = clientWith({ ...FAST_RETRY, maxRetryAfterMs: 60_000 });
    proxy.addFault({ method: 'GET', path: /\/manifests\/v1$/, action: { kind: 'status', status: 503, headers: { 'retry-after': '30' } } });

    await assert.rejects(getManifest(client, 'deadline/app', 'v1', { deadline: clock.now() + 5_000 }), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'DEADLINE_EXCEEDED');
      assert.equal((error.cause as { code?: string } | undefined)?.code, 'REGISTRY_UNAVAILABLE');
      return true;
    });
    assert.deepEqual(clock.sleeps, []);
  });
});
