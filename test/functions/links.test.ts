import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startHttpProxy, type HttpProxy } from '../support/http-proxy.ts';
import { loopbackOnlyConnector, tableResolver } from '../support/canary.ts';
import { closeRegistryClients, getManifest, pushImage, type PushedManifest } from '../support/images.ts';
import { startRegistries, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

// Sync links through the API and the worker (issue 13), on real registries, the embedded
// DynamoDB and SQS. The HTTP proxy is scripted (test/support/http-proxy.ts): no proxy server
// package is installed. No name is resolved (an empty resolver table) and no socket opens off
// loopback (the connector refuses it), whatever the implementation does.

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let other: TestRegistry;
let proxy: HttpProxy;
let image: PushedManifest;
const PRIVATE_NAME = 'registry.internal';

before(async () => {
  [[src, dst, other], proxy] = await Promise.all([startRegistries(3) as Promise<[TestRegistry, TestRegistry, TestRegistry]>, startHttpProxy()]);
  image = await pushImage(src, 'team/app', { tag: 'v1', layers: 2, layerSize: 4096 });
  h = await startHarness({
    declare: [src.host, dst.host, other.host, proxy.host],
    // The destination under another name, reached at its loopback address by a link's route.
    registries: { [`${PRIVATE_NAME}:${dst.port}`]: { insecure: true } },
    egress: { resolve: tableResolver({}), connector: loopbackOnlyConnector() },
  });
});

after(async () => {
  await h?.close();
  await closeRegistryClients();
  await Promise.all([src?.close(), dst?.close(), other?.close(), proxy?.close()]);
});

describe('/links', () => {
  test('a bad link is refused with every problem named at once', async () => {
    const response = await h.api('POST', '/links', { sourceRegistry: src.host, destinationRegistry: 'undeclared.example', type: 'fast', maxBandwidth: -1, extra: true });
    assert.equal(response.status, 400);
    const problems: string[] = response.body.error.problems;
    for (const field of ['name', 'type', 'maxBandwidth', 'extra']) assert.ok(problems.some((p) => p.includes(field)), `${field} in ${problems.join(' | ')}`);

    const semantic = await h.api('POST', '/links', { name: 'x', sourceRegistry: src.host, destinationRegistry: 'undeclared.example', type: 'default', route: { proxy: proxy.url } });
    assert.equal(semantic.status, 400);
    assert.deepEqual(semantic.body.error.problems.map((p: string) => p.split(':')[0]), ['route', 'destinationRegistry']);
  });

  test('a route may only point at targets the operator declared by host:port (no aiming the workers elsewhere)', async () => {
    const response = await h.api('POST', '/links', {
      name: 'ssrf', sourceRegistry: src.host, destinationRegistry: other.host, type: 'custom',
      route: { sourceAddress: '127.0.0.1:1', destinationAddress: '169.254.169.254:80' },
    });
    assert.equal(response.status, 400);
    const problems: string[] = response.body.error.problems;
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^route\.sourceAddress: address 127\.0\.0\.1:1 is not declared/);
    assert.match(problems[1]!, /^route\.destinationAddress: address 169\.254\.169\.254:80 is not declared/);
    assert.deepEqual((await h.api('GET', '/links')).body.items, []);
  });

  test('one link per pair of registries: a second is refused naming the first; CRUD round trip', async () => {
    const created = await h.api('POST', '/links', { name: 'first', sourceRegistry: other.host, destinationRegistry: src.host, maxBandwidth: 1_000_000 });
    assert.equal(created.status, 201);
    assert.equal(created.body.type, 'default');
    assert.equal(created.body.enabled, true);
    const second = await h.api('POST', '/links', { name: 'second', sourceRegistry: other.host, destinationRegistry: src.host, type: 'accelerated' });
    assert.equal(second.status, 409);
    assert.equal(second.body.error.code, 'LINK_CONFLICT');
    assert.match(second.body.error.message, new RegExp(`link "first" \\(${created.body.id}\\)`));

    const replaced = await h.api('PUT', `/links/${created.body.id}`, { name: 'first', sourceRegistry: other.host, destinationRegistry: src.host, maxConcurrentTasks: 2 });
    assert.equal(replaced.status, 200);
    assert.equal(replaced.body.maxConcurrentTasks, 2);
    assert.equal(replaced.body.maxBandwidth, undefined);
    assert.equal(replaced.body.createdAt, created.body.createdAt);
    assert.equal((await h.api('GET', `/links/${created.body.id}`)).body.name, 'first');
    assert.equal((await h.api('DELETE', `/links/${created.body.id}`)).status, 204);
    assert.equal((await h.api('GET', `/links/${created.body.id}`)).status, 404);
    // The pair is free again.
    const again = await h.api('POST', '/links', { name: 'second', sourceRegistry: other.host, destinationRegistry: src.host });
    assert.equal(again.status, 201);
    assert.equal((await h.api('DELETE', `/links/${again.body.id}`)).status, 204);
  });
});

describe('a custom link through an HTTP proxy', () => {
  let linkId: string;

  before(async () => {
    const link = await h.api('POST', '/links', { name: 'via-proxy', sourceRegistry: src.host, destinationRegistry: dst.host, type: 'custom', route: { proxy: proxy.url } });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    linkId = link.body.id;
    const linked = await h.api('POST', '/sync', { source: `${src.host}/team/app:v1`, destinations: [`${dst.host}/team/app:v1`] });
    const unlinked = await h.api('POST', '/sync', { source: `${src.host}/team/app:v1`, destinations: [`${other.host}/team/app:v1`] });
    assert.equal(linked.status, 202);
    assert.equal(unlinked.status, 202);
    await h.drain();
  });

  test('every request of its task went through the proxy, and no request of the other task did', async () => {
    const tasks = (await h.api('GET', '/tasks')).body.items as Array<{ status: string; destination: { registry: string }; link?: unknown }>;
    const linked = tasks.find((t) => t.destination.registry === dst.host)!;
    const unlinked = tasks.find((t) => t.destination.registry === other.host)!;
    assert.equal(linked.status, 'SUCCEEDED');
    assert.equal(unlinked.status, 'SUCCEEDED');
    assert.deepEqual(linked.link, { id: linkId, name: 'via-proxy', type: 'custom' });
    assert.deepEqual(unlinked.link, { id: 'default', name: 'default', type: 'default' });
    assert.equal((await getManifest(dst, 'team/app', 'v1'))?.digest, image.digest);
    assert.equal((await getManifest(other, 'team/app', 'v1'))?.digest, image.digest);

    const seen = proxy.log.map((r) => `${r.method} ${r.target}`);
    // The source's manifest and both layers and config, the destination's uploads and manifest.
    for (const blob of image.blobs) assert.ok(seen.some((s) => s.startsWith(`GET ${src.url}/v2/team/app/blobs/${blob.digest}`)), `blob ${blob.digest} in ${seen.join('\n')}`);
    assert.ok(seen.some((s) => s.startsWith(`GET ${src.url}/v2/team/app/manifests/`) || s.startsWith(`HEAD ${src.url}/v2/team/app/manifests/`)));
    assert.ok(seen.some((s) => s.startsWith(`POST ${dst.url}/v2/team/app/blobs/uploads/`)));
    assert.ok(seen.some((s) => s.startsWith(`PUT ${dst.url}/v2/team/app/manifests/v1`)));
    // Nothing of the unlinked task (its destination) came through.
    assert.equal(proxy.log.filter((r) => r.host === other.host).length, 0);
  });

  test('GET /links/:id/stats gives the completion times and rate from the records', async () => {
    const stats = await h.api('GET', `/links/${linkId}/stats?window=1h`);
    assert.equal(stats.status, 200);
    assert.equal(stats.body.count, 1);
    assert.equal(stats.body.window, '1h');
    assert.ok(stats.body.completionMs.p95 >= stats.body.completionMs.p50);
    assert.ok(stats.body.bytesPerSecond > 0);
    assert.deepEqual(stats.body.bySize.map((b: { bucket: string; count: number }) => [b.bucket, b.count]), [['<10MB', 1]]);
    assert.equal(stats.body.truncated, false);
    const bad = await h.api('GET', `/links/${linkId}/stats?window=forever`);
    assert.equal(bad.status, 400);
    assert.match(bad.body.error.problems[0], /^query\.window/);
  });
});

describe('a custom link to a private address', () => {
  test('the destination is reached at 127.0.0.1:PORT under its declared name, never resolved', async () => {
    const privateName = `${PRIVATE_NAME}:${dst.port}`;
    const link = await h.api('POST', '/links', { name: 'private', sourceRegistry: src.host, destinationRegistry: privateName, type: 'custom', route: { destinationAddress: dst.host } });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const proxied = proxy.log.length;
    const sync = await h.api('POST', '/sync', { source: `${src.host}/team/app:v1`, destinations: [`${privateName}/private/app:v1`] });
    assert.equal(sync.status, 202);
    await h.drain();
    const task = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(task.status, 'SUCCEEDED', JSON.stringify(task.error));
    assert.deepEqual(task.link, { id: link.body.id, name: 'private', type: 'custom' });
    assert.equal((await getManifest(dst, 'private/app', 'v1'))?.digest, image.digest);
    assert.equal(proxy.log.length, proxied);
  });
});
