import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { RegistryPool } from '../../../shared/oci/registry-pool.ts';
import { parseSyncConfig } from '../../../shared/sync/config.ts';
import { planSync } from '../../../shared/sync/plan.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';

let src: TestRegistry;
let proxy: FaultProxy;
const pools: RegistryPool[] = [];

/** One attempt per request in the transport, no real sleeps: retries here are the plan's own. */
function pool(): RegistryPool {
  const p = new RegistryPool({ retryPolicy: { attempts: 1, baseDelayMs: 0, maxDelayMs: 0, maxRetryAfterMs: 0 }, sleep: async () => {} });
  pools.push(p);
  return p;
}

describe('planSync', () => {
  before(async () => {
    src = await startRegistry();
    for (const tag of ['v1', 'v2']) await pushImage(src, 'app/web', { tag, seed: `plan-${tag}` });
    // Scripted proxy: a real registry does not answer 503 on demand.
    proxy = await startFaultProxy(src.url);
  });

  after(async () => {
    await Promise.all(pools.map((p) => p.close()));
    await closeRegistryClients();
    await proxy?.close();
    await src?.close();
  });

  test('a tag listing that failed with a retryable error is listed again in the next round', async () => {
    proxy.addFault({ method: 'GET', path: /\/v2\/app\/web\/tags\/list$/, times: 1, action: { kind: 'status', status: 503 } });
    const config = parseSyncConfig({ images: { [`${proxy.host}/app/web`]: 'd.example/web' } }, 'test', { env: {} });
    const retried: number[] = [];

    const plan = await planSync(config, pool(), 2, { retries: 1, onRetry: (f) => retried.push(f.attempts) });

    assert.deepEqual(plan.failures, []);
    assert.deepEqual(plan.items.map((i) => i.destination.tag).sort(), ['v1', 'v2']);
    assert.deepEqual(retried, [1]);
    assert.equal(proxy.requests.filter((r) => r.path === '/v2/app/web/tags/list').length, 2);
  });

  test('with no retries left the listing failure is final and says how many attempts it took', async () => {
    proxy.addFault({ method: 'GET', path: /\/v2\/app\/web\/tags\/list$/, times: 3, action: { kind: 'status', status: 503 } });
    const config = parseSyncConfig({ images: { [`${proxy.host}/app/web`]: 'd.example/web' } }, 'test', { env: {} });

    const plan = await planSync(config, pool(), 2, { retries: 2 });

    assert.equal(plan.items.length, 0);
    assert.equal(plan.failures.length, 1);
    assert.equal(plan.failures[0]!.attempts, 3);
    assert.equal(plan.failures[0]!.error.code, 'REGISTRY_UNAVAILABLE');
  });

  test('the same source and destination named twice (one list, or two keys) is planned once', async () => {
    const config = parseSyncConfig(
      { images: { [`${src.host}/app/web`]: ['d.example/web', 'd.example/web'], [`${src.host}/app/web:v1`]: 'd.example/web', [`${src.host}/app/web:v1,v1`]: 'd.example/web:v1,x' } },
      'test',
      { env: {} },
    );

    const plan = await planSync(config, pool(), 2);

    assert.deepEqual(plan.items.map((i) => `${i.source.tag}→${i.destination.tag}`).sort(), ['v1→v1', 'v1→x', 'v2→v2']);
  });
});
