import assert from 'node:assert/strict';
import { after, afterEach, before, describe, test } from 'node:test';
import { RegistryClient } from '../../../shared/oci/client.ts';
import { headManifest } from '../../../shared/oci/manifests.ts';
import type { FaultProxy } from '../../support/fault-proxy.ts';
import { pushImage } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, createFakeClock, FAST_RETRY, startProxiedRegistry, type FakeClock } from './fixtures.ts';

// The `/v2/` ping that learns a registry's authentication goes through the same retry layer as
// every other request. A real registry does not answer its ping 429 or 503 on demand: the fault
// proxy does.

const closers = createClosers();
let reg: TestRegistry;
let proxy: FaultProxy;

before(async () => {
  ({ reg, proxy } = await startProxiedRegistry('ping', closers));
});

afterEach(() => proxy.clearFaults());
after(() => closeSuite(closers));

/** A fresh client (it pings on its first request) whose sleeps are recorded. */
function clientWith(clock: FakeClock): RegistryClient {
  const client = new RegistryClient(proxy.host, {}, { sleep: clock.sleep, now: clock.now, retryPolicy: FAST_RETRY });
  closers.add(() => client.close());
  return client;
}

function pings(from: number): Array<string | undefined> {
  return proxy.requests.slice(from).filter((r) => r.path === '/v2/').map((r) => r.fault);
}

describe('the /v2/ ping honours Retry-After', () => {
  for (const status of [429, 503]) {
    test(`a ${status} with Retry-After: 2 on the ping waits 2000 ms before each new ping`, async () => {
      const pushed = await pushImage(reg, `ping/retry-after-${status}`, { tag: 'v1' });
      const clock = createFakeClock();
      proxy.addFault({ method: 'GET', path: /^\/v2\/$/, times: 2, action: { kind: 'status', status, headers: { 'retry-after': '2' } } });
      const from = proxy.requests.length;

      const head = await headManifest(clientWith(clock), `ping/retry-after-${status}`, 'v1');

      assert.equal(head?.digest, pushed.digest);
      assert.deepEqual(clock.sleeps, [2000, 2000]);
      assert.deepEqual(pings(from), ['status', 'status', undefined]);
    });
  }

  test('a ping answered 503 with a Retry-After beyond the policy\'s limit gives up at once', async () => {
    const clock = createFakeClock();
    proxy.addFault({ method: 'GET', path: /^\/v2\/$/, times: Infinity, action: { kind: 'status', status: 503, headers: { 'retry-after': '3600' } } });
    const from = proxy.requests.length;

    await assert.rejects(headManifest(clientWith(clock), 'ping/too-long', 'v1'), (error: Error) => {
      assert.equal((error as { code?: string }).code, 'REGISTRY_UNAVAILABLE');
      assert.match(error.message, /ping 127\.0\.0\.1:\d+: registry answered 503/);
      return true;
    });
    assert.deepEqual(clock.sleeps, []);
    assert.deepEqual(pings(from), ['status']);
  });
});
