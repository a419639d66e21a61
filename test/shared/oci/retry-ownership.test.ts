import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { getManifest, headManifest } from '../../../shared/oci/manifests.ts';
import type { FaultProxy } from '../../support/fault-proxy.ts';
import { listTags, pushImage } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, createEngine, createFakeClock, FAST_RETRY, ref, startProxiedPair } from './fixtures.ts';

// One layer owns the retry of each operation: a step that fails for ever is tried exactly the
// policy's number of times, never the transport's attempts times the blob copy's (N×M). The
// fault proxies count what reached each registry (Distribution never fails on demand).

const KiB = 1024;
const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
/** In front of the source. */
let proxy: FaultProxy;
/** In front of the destination. */
let dstProxy: FaultProxy;

before(async () => {
  ({ src, dst, proxy, dstProxy } = await startProxiedPair('ownership', closers));
});

afterEach(() => {
  proxy.clearFaults();
  dstProxy.clearFaults();
});

after(() => closeSuite(closers));

function engineWith(destination: { chunkSize?: number } = {}) {
  const clock = createFakeClock();
  const engine = createEngine({ [dstProxy.host]: destination }, { clock, retryPolicy: FAST_RETRY, blobConcurrency: 1 });
  closers.add(() => engine.close());
  return { engine, clock };
}

function count(seen: FaultProxy, from: number, method: string, path: RegExp, query?: RegExp): number {
  return seen.requests.slice(from).filter((r) => r.method === method && path.test(r.path) && (query === undefined || query.test(r.url.split('?')[1] ?? ''))).length;
}

describe('a blob step failing for ever is tried the policy\'s number of times in all', () => {
  const steps = [
    { name: 'HEAD of the blob at the destination (503)', method: 'HEAD', at: 'dst', path: (layer: string) => new RegExp(`/blobs/${layer}$`), action: { kind: 'status', status: 503 } as const, code: 'REGISTRY_UNAVAILABLE' },
    { name: 'source GET cut mid-body', method: 'GET', at: 'src', path: (layer: string) => new RegExp(`/blobs/${layer}$`), action: { kind: 'drop-mid-body', afterBytes: 10 * KiB } as const, code: 'REGISTRY_UNREACHABLE' },
    { name: 'closing PUT of a monolithic upload (500)', method: 'PUT', at: 'dst', path: () => /\/blobs\/uploads\//, query: (layer: string) => new RegExp(`digest=${encodeURIComponent(layer)}`), action: { kind: 'status', status: 500 } as const, code: 'REGISTRY_UNAVAILABLE' },
    { name: 'PATCH of a chunk (503)', method: 'PATCH', at: 'dst', chunkSize: 64 * KiB, path: () => /\/blobs\/uploads\//, action: { kind: 'status', status: 503 } as const, code: 'REGISTRY_UNAVAILABLE' },
  ];
  for (const step of steps) {
    test(`${step.name}: ${FAST_RETRY.attempts} attempts, then ${step.code}`, async () => {
      const repo = `own/${step.method.toLowerCase()}-${step.at}${step.chunkSize ? '-chunked' : ''}`;
      const pushed = await pushImage(src, repo, { tag: 'v1', layers: 1, layerSize: 256 * KiB });
      const layer = pushed.blobs.at(-1)!.digest;
      const { engine, clock } = engineWith(step.chunkSize ? { chunkSize: step.chunkSize } : {});
      const seen = step.at === 'src' ? proxy : dstProxy;
      const query = step.query?.(layer);
      seen.addFault({ method: step.method, path: step.path(layer), ...(query ? { query } : {}), times: Infinity, action: step.action });
      const from = seen.requests.length;

      await assert.rejects(engine.copyImage(ref(proxy.host, repo, 'v1'), ref(dstProxy.host, repo)), { code: step.code });

      assert.equal(count(seen, from, step.method, step.path(layer), query), FAST_RETRY.attempts);
      assert.equal(clock.sleeps.length, FAST_RETRY.attempts - 1, `sleeps ${clock.sleeps.join(', ')}`);
      assert.deepEqual(await listTags(dst, repo), []);
    });
  }
});

describe('a manifest read failing for ever is tried the policy\'s number of times in all', () => {
  for (const fault of [{ name: '503', action: { kind: 'status', status: 503 } as const, code: 'REGISTRY_UNAVAILABLE' }, { name: 'body cut', action: { kind: 'drop-mid-body', afterBytes: 20 } as const, code: 'REGISTRY_UNREACHABLE' }]) {
    test(`GET manifest (${fault.name}): ${FAST_RETRY.attempts} requests, then ${fault.code}`, async () => {
      const pushed = await pushImage(src, `own/manifest-${fault.action.kind}`, { tag: 'v1' });
      const clock = createFakeClock();
      const client = new RegistryClient(proxy.host, {}, { retryPolicy: FAST_RETRY, sleep: clock.sleep, now: clock.now });
      closers.add(() => client.close());
      const path = new RegExp(`/manifests/${pushed.digest}$`);
      proxy.addFault({ method: 'GET', path, times: Infinity, action: fault.action });
      const from = proxy.requests.length;

      await assert.rejects(getManifest(client, `own/manifest-${fault.action.kind}`, pushed.digest), { code: fault.code });

      assert.equal(count(proxy, from, 'GET', path), FAST_RETRY.attempts);
      assert.equal(clock.sleeps.length, FAST_RETRY.attempts - 1);
    });
  }
});

describe('a call says who retries it', () => {
  test('retry: never sends a request once; an explicit policy is used instead of the client\'s', async () => {
    await pushImage(src, 'own/option', { tag: 'v1' });
    const clock = createFakeClock();
    const client = new RegistryClient(proxy.host, {}, { retryPolicy: FAST_RETRY, sleep: clock.sleep, now: clock.now });
    closers.add(() => client.close());
    const path = /\/manifests\/v1$/;
    proxy.addFault({ method: 'HEAD', path, times: Infinity, action: { kind: 'status', status: 503 } });

    let from = proxy.requests.length;
    await assert.rejects(headManifest(client, 'own/option', 'v1', { retry: 'never' }), { code: 'REGISTRY_UNAVAILABLE' });
    assert.equal(count(proxy, from, 'HEAD', path), 1);

    from = proxy.requests.length;
    await assert.rejects(headManifest(client, 'own/option', 'v1', { retry: { ...FAST_RETRY, attempts: 5 } }), { code: 'REGISTRY_UNAVAILABLE' });
    assert.equal(count(proxy, from, 'HEAD', path), 5);

    from = proxy.requests.length;
    await assert.rejects(headManifest(client, 'own/option', 'v1'), { code: 'REGISTRY_UNAVAILABLE' });
    assert.equal(count(proxy, from, 'HEAD', path), FAST_RETRY.attempts);
  });
});
