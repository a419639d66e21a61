import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { closeRegistryClients, getManifest, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { runRuleToEnd } from './rule-runs.ts';
import { API_KEY, startHarness, type Harness } from './harness.ts';

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;

const validRule = () => ({
  name: 'apps',
  source: { registry: src.host, namespace: 'apps' },
  tagPattern: 'v[0-9]+\\.[0-9]+',
  destinations: [{ registry: dst.host, namespace: 'backup' }],
});

describe('the management API', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'api-src' }), startRegistry({ name: 'api-dst' })]);
    h = await startHarness({ declare: [src.host, dst.host] });
  });

  after(async () => {
    await h?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('every route needs the API key; a wrong key is refused the same way', async () => {
    const none = await h.api('GET', '/rules', undefined, {});
    const wrong = await h.api('GET', '/rules', undefined, { 'x-api-key': 'nope' });
    const right = await h.api('GET', '/rules', undefined, { 'x-api-key': API_KEY });
    assert.equal(none.status, 401);
    assert.equal(none.body.error.code, 'UNAUTHENTICATED');
    assert.equal(wrong.status, 401);
    assert.equal(right.status, 200);
  });

  test('an invalid rule is refused with 400 naming every problem, and nothing is stored', async () => {
    const res = await h.api('POST', '/rules', {
      name: 'bad',
      source: { registry: src.host, namespace: 'Apps' },
      tagPattern: '(unclosed',
      destinations: [{ registry: src.host, namespace: 'apps' }, { registry: dst.host, namespace: 'x', repository: 'renamed' }],
      platforms: ['linux'],
      colour: 'blue',
    });
    assert.equal(res.status, 400);
    const problems: string[] = res.body.error.problems;
    assert.ok(problems.some((p) => p.includes('colour')), problems.join('\n'));
    assert.ok(problems.some((p) => p.startsWith('source.namespace')), problems.join('\n'));
    assert.equal((await h.api('GET', '/rules')).body.items.length, 0);

    const semantic = await h.api('POST', '/rules', { ...validRule(), tagPattern: '(unclosed', platforms: ['linux'], destinations: [{ registry: src.host, namespace: 'apps' }, { registry: dst.host, namespace: 'x', repository: 'renamed' }] });
    assert.equal(semantic.status, 400);
    assert.equal(semantic.body.error.code, 'RULE_INVALID');
    const text = semantic.body.error.problems.join('\n');
    assert.match(text, /tagPattern: invalid tag pattern/);
    assert.match(text, /platforms: invalid platform "linux"/);
    assert.match(text, /destinations.0: the destination is the source itself/);
    assert.match(text, /destinations.1.repository: renaming needs a repository-level source/);
    assert.equal((await h.api('GET', '/rules')).body.items.length, 0);
  });

  test('a catastrophic pattern is valid RE2 and matches in linear time', async () => {
    const res = await h.api('POST', '/rules', { ...validRule(), name: 'redos', tagPattern: '(a+)+$' });
    assert.equal(res.status, 201);
    await pushImage(src, 'apps/redos', { tag: 'a'.repeat(100) + '-', seed: 'redos' });
    const run = await runRuleToEnd(h, res.body.id);
    assert.equal(run.execution.status, 'SUCCEEDED');
    assert.equal(run.tasks.length, 0);
    assert.equal((await h.api('DELETE', `/rules/${res.body.id}`)).status, 204);
  });

  test('create, get, replace, disable, enable and delete a rule', async () => {
    const created = await h.api('POST', '/rules', validRule());
    assert.equal(created.status, 201);
    const id = created.body.id;
    assert.equal(created.body.enabled, true);
    assert.equal(created.body.overwrite, true, 'a mirror follows its source unless told otherwise');
    assert.deepEqual((await h.api('GET', `/rules/${id}`)).body, created.body);
    const replaced = await h.api('PUT', `/rules/${id}`, { ...validRule(), name: 'renamed', overwrite: true });
    assert.equal(replaced.body.name, 'renamed');
    assert.equal(replaced.body.createdAt, created.body.createdAt);
    assert.equal((await h.api('POST', `/rules/${id}/disable`)).body.enabled, false);
    assert.equal((await h.api('POST', `/rules/${id}/enable`)).body.enabled, true);
    assert.equal((await h.api('DELETE', `/rules/${id}`)).status, 204);
    const gone = await h.api('GET', `/rules/${id}`);
    assert.equal(gone.status, 404);
    assert.equal(gone.body.error.code, 'RULE_NOT_FOUND');
  });

  test('running a rule enqueues the matching tags missing at the destination; a second run creates nothing', async () => {
    const v1 = await pushImage(src, 'apps/web', { tag: 'v1.0', seed: 'web-1' });
    await pushImage(src, 'apps/web', { tag: 'v1.1', seed: 'web-2' });
    await pushImage(src, 'apps/web', { tag: 'latest', seed: 'web-3' });
    await pushImage(src, 'other/web', { tag: 'v1.0', seed: 'other' });
    await pushImage(dst, 'backup/web', { tag: 'v1.0', seed: 'web-1' });
    const rule = (await h.api('POST', '/rules', validRule())).body;

    const first = await runRuleToEnd(h, rule.id);
    assert.equal(first.execution.expansion.considered, 2);
    assert.equal(first.execution.expansion.upToDate, 1);
    assert.equal(first.tasks.length, 1);
    assert.equal(first.execution.tasks, 1);
    assert.deepEqual(first.execution.counts, { pending: 0, retrying: 0, queued: 0, running: 0, succeeded: 1, skipped: 0, failed: 0 });
    assert.equal(first.execution.status, 'SUCCEEDED');
    const second = await runRuleToEnd(h, rule.id);
    assert.equal(second.tasks.length, 0, 'nothing new: the second run creates no task');
    assert.equal(second.execution.expansion.upToDate, 2);

    const record = (await h.api('GET', `/tasks/${first.tasks[0].id}`)).body;
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.kind, 'backfill');
    assert.equal((await getManifest(dst, 'backup/web', 'v1.0'))?.digest, v1.digest);
    assert.ok(await getManifest(dst, 'backup/web', 'v1.1'));
    assert.equal(await getManifest(dst, 'backup/web', 'latest'), undefined);
  });

  test('POST /sync replicates one image now, renamed, to two destinations; bad input names every problem', async () => {
    const pushed = await pushImage(src, 'apps/now', { tag: 'v9', seed: 'now' });
    const bad = await h.api('POST', '/sync', { source: `${src.host}/apps/now`, destinations: ['registry.example/Bad', `${dst.host}/x@sha256:${'0'.repeat(64)}`], platforms: ['nope'] });
    assert.equal(bad.status, 400);
    const problems = bad.body.error.problems.join('\n');
    assert.match(problems, /source: name a tag or a digest/);
    assert.match(problems, /destinations.0: invalid image reference/);
    assert.match(problems, /destinations.1: a destination names a tag, not a digest/);
    assert.match(problems, /platforms: /);

    const ok = await h.api('POST', '/sync', { source: `${src.host}/apps/now:v9`, destinations: [`${dst.host}/renamed/one`, `${dst.host}/renamed/two:stable`] });
    assert.equal(ok.status, 202);
    assert.equal(ok.body.tasks.length, 2);
    await h.drain();
    assert.equal((await getManifest(dst, 'renamed/one', 'v9'))?.digest, pushed.digest);
    assert.equal((await getManifest(dst, 'renamed/two', 'stable'))?.digest, pushed.digest);
  });

  test('records are filtered by status, rule and repository, and paginated', async () => {
    const all = (await h.api('GET', '/tasks?limit=200')).body.items;
    assert.ok(all.length >= 3);
    const succeeded = (await h.api('GET', '/tasks?status=SUCCEEDED')).body.items;
    assert.ok(succeeded.length >= 3 && succeeded.every((t: { status: string }) => t.status === 'SUCCEEDED'));
    const byRepository = (await h.api('GET', `/tasks?repository=${encodeURIComponent(`${src.host}/apps/now`)}`)).body.items;
    assert.equal(byRepository.length, 2);
    // Without its registry, and on the destination side: both used to return nothing.
    const bySourceName = await h.api('GET', '/tasks?repository=apps/now');
    assert.equal(bySourceName.body.items.length, 2);
    assert.deepEqual(bySourceName.body.filters, { repository: { registry: 'any', repository: 'apps/now', matched: 'source or destination' } });
    const byDestination = await h.api('GET', '/tasks?repository=renamed/two');
    assert.deepEqual(byDestination.body.items.map((t: { destination: { repository: string } }) => t.destination.repository), ['renamed/two']);
    assert.equal((await h.api('GET', '/tasks?source=renamed/two')).body.items.length, 0);
    assert.equal((await h.api('GET', `/tasks?destination=${encodeURIComponent(`${dst.host}/renamed/two`)}`)).body.items.length, 1);
    const newestFirst = all.map((t: { createdAt: string }) => t.createdAt);
    assert.deepEqual(newestFirst, [...newestFirst].sort().reverse());
    const first = await h.api('GET', '/tasks?status=SUCCEEDED&limit=1');
    assert.equal(first.body.items.length, 1);
    assert.ok(first.body.cursor);
    const next = await h.api('GET', `/tasks?status=SUCCEEDED&limit=1&cursor=${first.body.cursor}`);
    assert.notEqual(next.body.items[0].id, first.body.items[0].id);
    const bad = await h.api('GET', '/tasks?status=DONE&limit=0&repository=Not/Valid');
    assert.equal(bad.status, 400);
    assert.equal(bad.body.error.problems.length, 3, JSON.stringify(bad.body));
    assert.equal((await h.api('GET', '/tasks?cursor=bm9wZQ')).body.error.code, 'CURSOR_INVALID');
    assert.equal((await h.api('GET', `/tasks/${'0'.repeat(32)}`)).status, 404);
  });
});
