import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { parseReference } from '../../shared/oci/reference.ts';
import { Rule } from '../../shared/rules/rule.ts';
import { Subscription } from '../../shared/subscriptions/subscription.ts';
import { enqueueTasks } from '../../shared/tasks/enqueue.ts';
import { silentLogger } from '../../shared/log.ts';
import { loopbackOnlyConnector, startCanary, tableResolver, type Canary } from '../support/canary.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, pushImage, type PushedManifest } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

// The service contacts only declared registries (issue 8). The "internal service" is a canary
// on an undeclared loopback port; the source registry is real, behind the scripted fault proxy
// for the hostile answers (302 inward) a real registry will not give. Nothing here can leave
// loopback, even were the implementation broken: requests naming metadata addresses go to a
// harness whose queue is never drained, and the draining harness is only given loopback work,
// with a table resolver (localhost → 169.254.169.254; /etc/hosts says 127.0.0.1 should it be
// bypassed) over a connector that refuses, without a socket, any address that is not loopback.

/** Takes requests only: its queue is never drained, so nothing it accepts is ever fetched. */
let api: Harness;
/** Runs the worker, on loopback work only. */
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
let canary: Canary;
let image: PushedManifest;
const resolve = tableResolver({ localhost: ['169.254.169.254'] });
const connector = loopbackOnlyConnector();

before(async () => {
  [src, dst] = await Promise.all([startRegistry({ name: 'egress-src' }), startRegistry({ name: 'egress-dst' })]);
  proxy = await startFaultProxy(src.url);
  canary = await startCanary();
  image = await pushImage(src, 'app/web', { tag: 'v1', seed: 'egress-pipeline' });
  // `localhost:<canary>` is declared on purpose: metadata is refused even when declared.
  const declare = [src.host, dst.host, proxy.host, `localhost:${canary.port}`];
  [api, h] = await Promise.all([startHarness({ declare, egress: { resolve, connector } }), startHarness({ declare, egress: { resolve, connector }, maxReceiveCount: 3 })]);
});

beforeEach(() => {
  proxy.clearFaults();
  canary.requests.length = 0;
});

after(async () => {
  await Promise.all([api?.close(), h?.close()]);
  await Promise.all([proxy?.close(), canary?.close()]);
  await Promise.all([src?.close(), dst?.close()]);
  await closeRegistryClients();
});

const rule = (source: string, destinations: string[]) => ({ name: 'r', source: { registry: source, namespace: 'apps' }, destinations: destinations.map((registry) => ({ registry, namespace: 'mirror' })) });
const allTasks = async () => (await api.api('GET', '/tasks?limit=200')).body.items as Array<{ id: string; status: string; error?: { code: string; message: string } }>;

describe('requests naming undeclared registries are refused (400, every problem at once)', () => {
  test('POST /sync from an undeclared loopback port and to the metadata address: 400 naming both, nothing queued', async () => {
    const res = await api.api('POST', '/sync', { source: `${canary.host}/internal/anything:v1`, destinations: [`${dst.host}/ok/app`, '169.254.169.254/latest/meta-data:v1'] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'REQUEST_INVALID');
    const problems: string[] = res.body.error.problems;
    assert.equal(problems.length, 2, problems.join('\n'));
    assert.match(problems[0]!, new RegExp(`^source: registry ${canary.host.replace(/\./g, '\\.')} is not declared: declare it in the service's registries \\(CROSSDOCK_REGISTRIES`));
    assert.match(problems[1]!, /^destinations\.1: registry 169\.254\.169\.254 is a metadata address; crossdock never contacts it/);
    const metadataSource = await api.api('POST', '/sync', { source: '169.254.169.254/latest/meta-data:v1', destinations: [`${dst.host}/ok/app`] });
    assert.equal(metadataSource.status, 400);
    assert.match(metadataSource.body.error.message, /169\.254\.169\.254 is a metadata address/);
    assert.deepEqual(await allTasks(), []);
    assert.deepEqual(canary.requests, []);
  });

  test('POST /rules with a metadata source and an undeclared destination: 400 naming both, no rule stored', async () => {
    const res = await api.api('POST', '/rules', rule('169.254.169.254', [dst.host, canary.host]));
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'RULE_INVALID');
    const text = res.body.error.problems.join('\n');
    assert.match(text, /source\.registry: registry 169\.254\.169\.254 is a metadata address/);
    assert.match(text, new RegExp(`destinations\\.1\\.registry: registry ${canary.host.replace(/\./g, '\\.')} is not declared`));
    assert.equal(res.body.error.problems.length, 2);
    assert.deepEqual((await api.api('GET', '/rules')).body.items, []);
  });

  test('PUT /rules/:id naming an undeclared registry is refused and the rule is unchanged', async () => {
    const created = await api.api('POST', '/rules', rule(src.host, [dst.host]));
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const res = await api.api('PUT', `/rules/${created.body.id}`, rule(src.host, ['10.0.0.7:5000']));
    assert.equal(res.status, 400);
    assert.match(res.body.error.message, /destinations\.0\.registry: registry 10\.0\.0\.7:5000 is not declared/);
    assert.deepEqual((await api.api('GET', `/rules/${created.body.id}`)).body.destinations, [{ registry: dst.host, namespace: 'mirror' }]);
    await api.api('DELETE', `/rules/${created.body.id}`);
  });

  test('POST and PUT /subscriptions naming an undeclared registry are refused with 400 naming it', async () => {
    const input = { name: 's', source: { registry: canary.host, repository: 'internal/app' }, destination: { registry: dst.host, repository: 'mirror/app' }, latest: 1 };
    const res = await api.api('POST', '/subscriptions', input);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'SUBSCRIPTION_INVALID');
    assert.match(res.body.error.message, new RegExp(`source\\.registry: registry ${canary.host.replace(/\./g, '\\.')} is not declared`));
    const ok = await api.api('POST', '/subscriptions', { ...input, source: { registry: src.host, repository: 'app/web' } });
    assert.equal(ok.status, 201, JSON.stringify(ok.body));
    const put = await api.api('PUT', `/subscriptions/${ok.body.id}`, { ...input, destination: { registry: 'metadata.google.internal', repository: 'x/y' } });
    assert.equal(put.status, 400);
    assert.match(put.body.error.problems.join('\n'), /source\.registry: .*not declared[\s\S]*destination\.registry: registry metadata\.google\.internal is an instance-metadata service/);
    assert.equal((await api.api('GET', `/subscriptions/${ok.body.id}`)).body.source.registry, src.host);
    await api.api('DELETE', `/subscriptions/${ok.body.id}`);
    assert.deepEqual(canary.requests, []);
  });
});

describe('stored work naming a registry no longer declared is refused when run', () => {
  const at = new Date().toISOString();

  test('POST /rules/:id/run of a stored rule naming an undeclared registry: 400 REGISTRY_NOT_ALLOWED, nothing contacted', async () => {
    // Written to the store directly: the API would not accept it, but the declaration may change.
    const stored = Rule.parse({ ...rule(canary.host, [dst.host]), id: 'stale-rule', createdAt: at, updatedAt: at });
    await api.ruleStore.put(stored);
    const res = await api.api('POST', `/rules/${stored.id}/run`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'REGISTRY_NOT_ALLOWED');
    assert.match(res.body.error.message, new RegExp(`source\.registry: registry ${canary.host.replace(/\./g, '\\.')} is not declared`));
    assert.deepEqual(canary.requests, []);
    assert.deepEqual(await allTasks(), []);
  });

  test('POST /subscriptions/:id/run of a stored subscription naming an undeclared registry: 400 REGISTRY_NOT_ALLOWED, nothing contacted', async () => {
    const stored = Subscription.parse({ name: 's', source: { registry: canary.host, repository: 'internal/app' }, destination: { registry: dst.host, repository: 'mirror/app' }, latest: 1, id: 'stale-subscription', createdAt: at, updatedAt: at, nextRunAt: at });
    await api.subscriptionStore.put(stored);
    const res = await api.api('POST', `/subscriptions/${stored.id}/run`);
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'REGISTRY_NOT_ALLOWED');
    assert.match(res.body.error.message, /source\.registry: registry .* is not declared/);
    assert.deepEqual(canary.requests, []);
  });
});

describe('the worker reaches only what is declared', () => {
  test('a task naming an undeclared registry fails permanently with REGISTRY_NOT_ALLOWED; nothing reaches it', async () => {
    const [task] = await enqueueTasks({ taskStore: h.taskStore, queue: h.queue, logger: silentLogger }, [{
      kind: 'manual',
      source: parseReference(`${canary.host}/internal/anything:v1`),
      destination: { registry: dst.host, repository: 'stolen/app', tag: 'v1' },
      options: { overwrite: false, platforms: [], referrers: false },
      identity: 'undeclared-task',
    }]);
    const drained = await h.drain();
    assert.equal(drained.failed, 0, 'a permanent failure is acknowledged, not handed back');
    const record = (await h.api('GET', `/tasks/${task!.id}`)).body;
    assert.equal(record.status, 'FAILED');
    assert.equal(record.error.code, 'REGISTRY_NOT_ALLOWED');
    assert.match(record.error.message, new RegExp(`registry ${canary.host.replace(/\./g, '\\.')} is not declared`));
    assert.deepEqual(canary.requests, []);
  });

  test('a source answering a blob GET with a redirect to an undeclared loopback port: the task fails EGRESS_REFUSED, nothing reaches it', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, action: { kind: 'status', status: 302, headers: { location: `http://${canary.host}/latest/meta-data/iam/security-credentials/role` } } });
    const sync = await h.api('POST', '/sync', { source: `${proxy.host}/app/web:v1`, destinations: [`${dst.host}/redirected/app`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    await h.drain();
    const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(record.status, 'FAILED');
    assert.equal(record.error.code, 'EGRESS_REFUSED');
    assert.match(record.error.message, /loopback address, and is not declared explicitly/);
    assert.deepEqual(canary.requests, []);
  });

  test('a redirect to a declared name that resolves to the metadata address is refused; no socket is asked for off loopback', async () => {
    proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, action: { kind: 'status', status: 302, headers: { location: `http://localhost:${canary.port}/latest/meta-data/` } } });
    const sync = await h.api('POST', '/sync', { source: `${proxy.host}/app/web:v1`, destinations: [`${dst.host}/metadata/app`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    await h.drain();
    const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(record.status, 'FAILED');
    assert.equal(record.error.code, 'EGRESS_REFUSED');
    assert.match(record.error.message, /resolves to 169\.254\.169\.254, a metadata address/);
    assert.ok(resolve.asked.includes('localhost'));
    assert.deepEqual(connector.refusedOffLoopback, []);
    assert.deepEqual(canary.requests, []);
  });

  test('declared registries still replicate (same digest at the destination)', async () => {
    const sync = await h.api('POST', '/sync', { source: `${proxy.host}/app/web:v1`, destinations: [`${dst.host}/fine/app`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    await h.drain();
    const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(record.status, 'SUCCEEDED', JSON.stringify(record.error));
    assert.equal(record.result.digest, image.digest);
  });
});
