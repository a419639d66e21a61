import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { CrossdockError } from '../../../shared/errors.ts';
import { openBlob } from '../../../shared/oci/blobs.ts';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { createGuardedConnector, type EgressPolicy } from '../../../shared/oci/egress-connector.ts';
import { DeclaredRegistries } from '../../../shared/oci/egress-policy.ts';
import { getManifest as getManifestVia } from '../../../shared/oci/manifests.ts';
import { loopbackOnlyConnector, startCanary, tableResolver, type Canary } from '../../support/canary.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, pushBlob, pushImage, seededBytes } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { createFakeClock, FAST_RETRY } from './fixtures.ts';

// A real registry behind the scripted fault proxy, which plays the hostile registry (a 302 or a
// 401 challenge pointing inside: a real registry will not). The "internal service" is a canary
// on another loopback port; nothing in this file can reach beyond loopback: the resolver is a
// table and the connector refuses (without a socket) any address that is not loopback.

let reg: TestRegistry;
let proxy: FaultProxy;
let canary: Canary;
let digest: string;
const clients: RegistryClient[] = [];

before(async () => {
  reg = await startRegistry({ name: 'egress' });
  proxy = await startFaultProxy(reg.url);
  canary = await startCanary();
  ({ digest } = await pushBlob(reg, 'app/web', seededBytes('egress', 4096)));
  await pushImage(reg, 'app/web', { tag: 'v1', seed: 'egress-image' });
});

beforeEach(() => {
  proxy.clearFaults();
  canary.requests.length = 0;
});

after(async () => {
  await Promise.all(clients.map((c) => c.close()));
  await Promise.all([proxy?.close(), canary?.close()]);
  await reg?.close();
  await closeRegistryClients();
});

/** A service-side client for the proxied registry, with the registry (and `extra`) declared. */
function serviceClient(seams: Omit<EgressPolicy, 'declared'> = {}, extra: string[] = []): RegistryClient {
  const clock = createFakeClock();
  const egress: EgressPolicy = { declared: new DeclaredRegistries([proxy.host, ...extra]), resolve: tableResolver({}), connector: loopbackOnlyConnector(), ...seams };
  const client = new RegistryClient(proxy.host, {}, { egress, retryPolicy: FAST_RETRY, sleep: clock.sleep, now: clock.now });
  clients.push(client);
  return client;
}

async function refusal(promise: Promise<unknown>): Promise<CrossdockError> {
  const error = await promise.then(() => undefined, (e: unknown) => e);
  assert.ok(error instanceof CrossdockError, `expected a refusal, got ${String(error)}`);
  return error;
}

function redirectBlobTo(location: string, times = 1) {
  proxy.addFault({ method: 'GET', path: new RegExp(`/blobs/${digest}$`), times, action: { kind: 'status', status: 302, headers: { location } } });
}

describe('redirects and token realms are confined (issue 8)', () => {
  test('a blob redirect to an undeclared loopback port is refused and no request reaches it', async () => {
    redirectBlobTo(`http://${canary.host}/latest/meta-data/iam/security-credentials/role`);
    const error = await refusal(openBlob(serviceClient(), 'app/web', digest));
    assert.equal(error.code, 'EGRESS_REFUSED');
    assert.equal(error.retryable, false);
    assert.match(error.message, new RegExp(`${canary.host.replace(/\./g, '\\.')} resolves to 127\\.0\\.0\\.1, a loopback address, and is not declared`));
    assert.deepEqual(canary.requests, []);
  });

  test('the same redirect is followed when its host is declared explicitly (the canary sees it)', async () => {
    redirectBlobTo(`http://${canary.host}/storage/blob`);
    const body = await openBlob(serviceClient({}, [canary.host]), 'app/web', digest);
    assert.equal(JSON.parse(await new Response(body as unknown as ReadableStream).text()).token, 'internal-secret');
    assert.deepEqual(canary.requests.map((r) => [r.method, r.url, r.authorization]), [['GET', '/storage/blob', undefined]]);
  });

  test('the CLI keeps no allow-list: without a policy the redirect is followed', async () => {
    redirectBlobTo(`http://${canary.host}/storage/blob`);
    const cli = new RegistryClient(proxy.host, {}, { retryPolicy: FAST_RETRY });
    clients.push(cli);
    (await openBlob(cli, 'app/web', digest)).resume();
    await new Promise((r) => setImmediate(r));
    assert.equal(canary.requests.length, 1);
  });

  test('a token realm on an undeclared loopback port is refused before any request reaches it', async () => {
    proxy.addFault({ method: 'GET', path: /^\/v2\/$/, times: Infinity, action: { kind: 'status', status: 401, headers: { 'www-authenticate': `Bearer realm="http://${canary.host}/token",service="internal"` } } });
    const error = await refusal(getManifestVia(serviceClient(), 'app/web', 'v1'));
    assert.equal(error.code, 'EGRESS_REFUSED');
    assert.match(error.message, /token realm refused/);
    assert.deepEqual(canary.requests, []);
  });

  test('a redirect to a name resolving to the metadata address is refused; no socket is asked for off loopback', async () => {
    // `localhost` is in /etc/hosts: were the guard broken, it would reach the canary on
    // loopback, never 169.254.169.254. The table resolver is what says "metadata".
    const resolve = tableResolver({ localhost: ['169.254.169.254'] });
    const connector = loopbackOnlyConnector();
    redirectBlobTo(`http://localhost:${canary.port}/latest/meta-data/`);
    const error = await refusal(openBlob(serviceClient({ resolve, connector }, [`localhost:${canary.port}`]), 'app/web', digest));
    assert.equal(error.code, 'EGRESS_REFUSED');
    assert.match(error.message, /resolves to 169\.254\.169\.254, a metadata address/);
    assert.deepEqual(resolve.asked, ['localhost']);
    assert.deepEqual(connector.refusedOffLoopback, []);
    assert.ok(!connector.attempts.includes('169.254.169.254'));
    assert.deepEqual(canary.requests, []);
  });

  test('a declared registry whose name resolves to a link-local address is refused at connect time', async () => {
    const resolve = tableResolver({ localhost: ['169.254.7.7'] });
    const connector = loopbackOnlyConnector();
    const clock = createFakeClock();
    const client = new RegistryClient(`localhost:${canary.port}`, {}, { egress: { declared: new DeclaredRegistries([`localhost:${canary.port}`]), resolve, connector }, retryPolicy: FAST_RETRY, sleep: clock.sleep, now: clock.now });
    clients.push(client);
    const error = await refusal(getManifestVia(client, 'app/web', 'v1'));
    assert.equal(error.code, 'EGRESS_REFUSED');
    assert.match(error.message, /169\.254\.7\.7, a link-local address/);
    assert.deepEqual(connector.attempts, []);
    assert.deepEqual(canary.requests, []);
  });

  test('redirects are bounded: the sixth in a row fails the request', async () => {
    redirectBlobTo(`${proxy.url}/v2/app/web/blobs/${digest}`, Infinity);
    const before = proxy.requests.length;
    const error = await refusal(openBlob(serviceClient(), 'app/web', digest));
    assert.match(error.message, /more than 5 redirects/);
    const blobGets = proxy.requests.slice(before).filter((r) => r.method === 'GET' && r.path.endsWith(digest));
    // The first GET and five hops; a redirect loop is not retried.
    assert.equal(blobGets.length, 6);
  });
});

describe('createGuardedConnector checks every connection on the address it resolves now', () => {
  // A fake socket opener: records the address it was given and opens nothing.
  const recordingConnector = () => {
    const seen: string[] = [];
    const factory = () => (target: { hostname: string }, callback: (...args: [Error, null]) => void) => {
      seen.push(target.hostname);
      callback(new Error('recording connector: no socket'), null);
    };
    return Object.assign(factory, { seen });
  };
  const connectOnce = (connect: ReturnType<typeof createGuardedConnector>, host: string) =>
    new Promise<Error>((resolve) => connect({ hostname: host.split(':')[0]!, host, protocol: 'http:', port: host.split(':')[1] ?? '' }, (error: Error | null, _socket: unknown) => resolve(error!)));

  test('a name that answered loopback, then the metadata address (DNS rebinding), is refused the second time', async () => {
    let calls = 0;
    const resolve = async () => (calls++ === 0 ? ['127.0.0.1'] : ['169.254.169.254']);
    const opener = recordingConnector();
    const connect = createGuardedConnector({ declared: new DeclaredRegistries(['localhost:5000']), resolve, connector: opener as never }, {});
    const first = await connectOnce(connect, 'localhost:5000');
    const second = await connectOnce(connect, 'localhost:5000');
    assert.match(first.message, /recording connector/);
    assert.ok(second instanceof CrossdockError && second.code === 'EGRESS_REFUSED', String(second));
    assert.match(second.message, /169\.254\.169\.254, a metadata address/);
    assert.deepEqual(opener.seen, ['127.0.0.1']);
  });

  test('of several answers only those that pass are connected to, in order', async () => {
    const opener = recordingConnector();
    const resolve = async () => ['169.254.169.254', '::1', 'fe80::1', '127.0.0.1'];
    const connect = createGuardedConnector({ declared: new DeclaredRegistries(['localhost:5000']), resolve, connector: opener as never }, {});
    await connectOnce(connect, 'localhost:5000');
    assert.deepEqual(opener.seen, ['::1', '127.0.0.1']);
  });

  test('an IP literal is judged without resolving', async () => {
    const opener = recordingConnector();
    const resolve = tableResolver({});
    const connect = createGuardedConnector({ declared: new DeclaredRegistries([]), resolve, connector: opener as never }, {});
    const error = await connectOnce(connect, '169.254.169.254');
    assert.ok(error instanceof CrossdockError && error.code === 'EGRESS_REFUSED');
    assert.deepEqual(resolve.asked, []);
    assert.deepEqual(opener.seen, []);
  });
});
