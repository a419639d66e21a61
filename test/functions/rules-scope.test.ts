import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeRegistryClients, getManifest, pushImage, type PushedManifest } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { runRuleToEnd } from './rule-runs.ts';
import { startHarness, type Harness } from './harness.ts';

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
const pushed: Record<string, PushedManifest> = {};

async function createRule(body: object): Promise<{ id: string; overwrite: boolean; source: object }> {
  const res = await h.api('POST', '/rules', { name: 'scope', ...body });
  assert.equal(res.status, 201, JSON.stringify(res.body));
  return res.body;
}

async function run(id: string): Promise<string[]> {
  const { tasks } = await runRuleToEnd(h, id);
  const records = await Promise.all(tasks.map(async (t: { id: string }) => (await h.api('GET', `/tasks/${t.id}`)).body));
  for (const record of records) assert.equal(record.status, 'SUCCEEDED', JSON.stringify(record));
  return records.map((r: { destination: { repository: string; tag: string } }) => `${r.destination.repository}:${r.destination.tag}`).sort();
}

describe('rules over the registry root, one repository by its whole name, and the whole registry', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'scope-src' }), startRegistry({ name: 'scope-dst' })]);
    h = await startHarness({ declare: [src.host, dst.host] });
    pushed['app:v1'] = await pushImage(src, 'app', { tag: 'v1', seed: 'scope-root' });
    pushed['team/api:v1'] = await pushImage(src, 'team/api', { tag: 'v1', seed: 'scope-api-1' });
    pushed['team/api:v2'] = await pushImage(src, 'team/api', { tag: 'v2', seed: 'scope-api-2' });
    pushed['deep/ns/web:v1'] = await pushImage(src, 'deep/ns/web', { tag: 'v1', seed: 'scope-deep' });
  });

  after(async () => {
    await h?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('a registry-wide rule backfills every repository, root ones included, keeping whole paths', async () => {
    const rule = await createRule({ source: { registry: src.host }, destinations: [{ registry: dst.host, namespace: 'all' }] });
    assert.deepEqual(await run(rule.id), ['all/app:v1', 'all/deep/ns/web:v1', 'all/team/api:v1', 'all/team/api:v2']);
    for (const [name, image] of Object.entries(pushed)) {
      const [repository, tag] = name.split(':') as [string, string];
      assert.equal((await getManifest(dst, `all/${repository}`, tag))?.digest, image.digest, name);
    }
  });

  test('source.repository "team/api" alone, and a root repository copied to the destination root', async () => {
    const whole = await createRule({ source: { registry: src.host, repository: 'team/api' }, tagPattern: '/^v1$/', destinations: [{ registry: dst.host, namespace: 'one' }] });
    assert.deepEqual(whole.source, { registry: src.host, namespace: 'team', repository: 'api' });
    assert.deepEqual(await run(whole.id), ['one/api:v1']);

    const root = await createRule({ source: { registry: src.host, namespace: '', repository: 'app' }, destinations: [{ registry: dst.host, repository: 'root-copy' }] });
    assert.deepEqual(await run(root.id), ['root-copy:v1']);
    assert.equal((await getManifest(dst, 'root-copy', 'v1'))?.digest, pushed['app:v1']!.digest);
  });

  test('by default a rule replaces a different image at the destination tag; overwrite: false keeps it', async () => {
    const theirs = await pushImage(dst, 'kept/app', { tag: 'v1', seed: 'scope-theirs' });
    await pushImage(dst, 'followed/app', { tag: 'v1', seed: 'scope-theirs' });
    const follows = await createRule({ source: { registry: src.host, repository: 'app' }, destinations: [{ registry: dst.host, namespace: 'followed' }] });
    assert.equal(follows.overwrite, true);
    assert.deepEqual(await run(follows.id), ['followed/app:v1']);
    assert.equal((await getManifest(dst, 'followed/app', 'v1'))?.digest, pushed['app:v1']!.digest);

    const keeps = await createRule({ source: { registry: src.host, repository: 'app' }, destinations: [{ registry: dst.host, namespace: 'kept' }], overwrite: false });
    const { tasks } = await runRuleToEnd(h, keeps.id);
    assert.equal((await h.api('GET', `/tasks/${tasks[0].id}`)).body.status, 'SKIPPED');
    assert.equal((await getManifest(dst, 'kept/app', 'v1'))?.digest, theirs.digest);
  });

  test('a heavy tag pattern is refused at creation with 400 naming it and the limit', async () => {
    const heavy = '(|a){1000}'.repeat(100);
    const res = await h.api('POST', '/rules', { name: 'heavy', source: { registry: src.host, namespace: 'team' }, tagPattern: heavy, destinations: [{ registry: dst.host, namespace: 'x' }] });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'RULE_INVALID');
    assert.match(res.body.error.problems.join('\n'), /^tagPattern: tag pattern "\(\|a\)\{1000\}.*" is too complex: .* over the limit of 1000/m);
    const lookbehind = await h.api('POST', '/rules', { name: 'lb', source: { registry: src.host, namespace: 'team' }, tagPattern: '(?<=v)1', destinations: [{ registry: dst.host, namespace: 'x' }] });
    assert.match(lookbehind.body.error.problems.join('\n'), /lookbehind \(\?<=…\) is not supported/);
  });
});
