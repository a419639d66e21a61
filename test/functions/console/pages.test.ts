/**
 * The console's executions and links pages over HTTP, without a browser: an execution's roll-up
 * and "Retry failed" (CSRF-protected, as `POST /executions/:id/retry-failed`), and a link's
 * running and queued tasks and its P95 after a task ran on it. Real registries and the embedded
 * AWS stack through the functions harness.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamoDbLinkSlots } from '../../../shared/links/dynamodb-link-slots.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { API_KEY, startHarness, type Harness } from '../harness.ts';

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let cookie: string;

async function page(path: string) {
  const response = await fetch(`${h.apiUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
  const text = await response.text();
  return { response, text, csrf: /name="_csrf" value="([^"]+)"/.exec(text)?.[1] };
}

function post(path: string, form: Record<string, string>) {
  return fetch(`${h.apiUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: h.apiUrl },
    body: new URLSearchParams(form),
  });
}

/** The visible text of some HTML: tags out, entities of the kind the pages use decoded, spaces collapsed. */
const words = (html: string) => html.replace(/<[^>]+>/g, ' ').replace(/&amp;/g, '&').replace(/&quot;/g, '"').replace(/\s+/g, ' ');

describe('the console: executions and links', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'pages-src' }), startRegistry({ name: 'pages-dst' })]);
    h = await startHarness({ declare: [src.host, dst.host] });
    const signIn = await fetch(`${h.apiUrl}/ui/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.apiUrl },
      body: new URLSearchParams({ apiKey: API_KEY }),
    });
    cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    assert.match(cookie, /^crossdock_session=/);
  });

  after(async () => {
    await h?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('an execution with a failed task shows its roll-up, and "Retry failed" runs that task again once', async () => {
    const sync = await h.api('POST', '/sync', { source: `${src.host}/late/app:v1`, destinations: [`${dst.host}/late/app:v1`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    const execution: string = sync.body.execution;
    const taskId: string = sync.body.tasks[0].id;
    await h.drain({ idleMs: 500 });
    assert.equal((await h.taskStore.get(taskId))?.status, 'FAILED');

    const list = await page('/ui/executions');
    assert.equal(list.response.status, 200);
    const firstRow = words(/<tbody>(.*?)<\/tr>/s.exec(list.text)?.[1] ?? '');
    assert.match(firstRow, new RegExp(`FAILED ${execution} manual sync 1: 1 failed`), 'newest first, with its trigger and counts');

    const detail = await page(`/ui/executions/${execution}`);
    assert.equal(detail.response.status, 200);
    const text = words(detail.text);
    assert.match(text, /Status ✗ FAILED/);
    assert.match(text, /Tasks 1: 1 failed/);
    assert.match(text, /late\/app:v1/, 'its task is listed');
    assert.match(detail.text, /Retry failed \(1\)/);

    // Without the session's token the retry is refused and nothing runs again.
    const refused = await post(`/ui/executions/${execution}/retry-failed`, {});
    assert.equal(refused.status, 403);
    assert.equal((await h.taskStore.get(taskId))?.generation, 0);

    const retried = await post(`/ui/executions/${execution}/retry-failed`, { _csrf: detail.csrf! });
    assert.equal(retried.status, 303);
    assert.equal(retried.headers.get('location'), `/ui/executions/${execution}?retried=1`);
    const task = await h.taskStore.get(taskId);
    assert.equal(task?.status, 'PENDING');
    assert.equal(task?.generation, 1);
    assert.match(words((await page(retried.headers.get('location')!)).text), /1 failed tasks queued again/);
    // A second click (or a resubmitted form) finds nothing failed: no duplicate work.
    const again = await post(`/ui/executions/${execution}/retry-failed`, { _csrf: detail.csrf! });
    assert.equal(again.headers.get('location'), `/ui/executions/${execution}?retried=0`);
    assert.equal((await h.taskStore.get(taskId))?.generation, 1);

    await pushImage(src, 'late/app', { tag: 'v1', seed: 'pages-late' });
    await h.drain({ idleMs: 500 });
    const done = words((await page(`/ui/executions/${execution}`)).text);
    assert.match(done, /Status ✓ SUCCEEDED/);
    assert.match(done, /Tasks 1: 1 succeeded/);
    assert.doesNotMatch(done, /Retry failed/);
    const filtered = await page(`/ui/executions/${execution}?status=FAILED`);
    assert.match(words(filtered.text), /No records match/);
  });

  test('an unknown or malformed execution is a 404 page, and a bad filter names its problem', async () => {
    assert.equal((await page('/ui/executions/r-20260101T000000000Z-000000000000')).response.status, 404);
    assert.equal((await page('/ui/executions/not-an-id')).response.status, 404);
    assert.equal((await post('/ui/executions/r-20260101T000000000Z-000000000000/retry-failed', { _csrf: (await page('/ui/executions')).csrf! })).status, 404);
    const execution = (await h.api('GET', '/executions')).body.items[0].id;
    const bad = await page(`/ui/executions/${execution}?status=DONE`);
    assert.equal(bad.response.status, 400);
    assert.match(bad.text, /status:/);
    const badCursor = await page('/ui/executions?cursor=nonsense');
    assert.equal(badCursor.response.status, 400);
    assert.match(badCursor.text, /cursor/);
  });

  test('the links page shows each link, its running and queued tasks now, and a P95 point once a task ran on it', async () => {
    const created = await h.api('POST', '/links', { name: 'pages-link', sourceRegistry: src.host, destinationRegistry: dst.host, maxConcurrentTasks: 1, maxBandwidth: 50 * 1024 * 1024 });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const before = await page('/ui/links');
    assert.equal(before.response.status, 200);
    assert.match(words(before.text), /pages-link \(default\) ✓ enabled/);
    assert.match(words(before.text), /No task finished on this link in the window/);
    assert.match(before.text, /data-points="0"/);

    await pushImage(src, 'linked/app', { tag: 'v1', seed: 'pages-linked' });
    const sync = await h.api('POST', '/sync', { source: `${src.host}/linked/app:v1`, destinations: [`${dst.host}/linked/app:v1`] });
    await h.drain({ idleMs: 500 });
    const task = await h.taskStore.get(sync.body.tasks[0].id);
    assert.equal(task?.status, 'SUCCEEDED');
    assert.equal(task?.link?.id, created.body.id);

    const after = await page('/ui/links');
    const text = words(after.text);
    assert.match(text, /50 MiB\/s/, 'the cap');
    assert.match(text, /0 running, 0 queued/);
    assert.match(after.text, /data-points="1"/, 'one point on the chart');
    assert.match(text, new RegExp(`over 1 tasks, queueing excluded`));
    const hour = new Date(Date.parse(task!.finishedAt!)).toISOString().slice(0, 13);
    assert.match(text, new RegExp(`${hour.replace('T', ' ')}:00:00Z 1 \\d`), 'the table row of the hour it finished in');

    // Slots held and waited for on the link, as workers record them, show as running and queued.
    const slots = new DynamoDbLinkSlots({ client: h.aws.clients.dynamodb, tableName: h.aws.tables.tasks });
    assert.equal((await slots.acquire({ linkId: created.body.id, taskId: 'busy-1', owner: 'o1', maxConcurrentTasks: 1 })).granted, true);
    assert.equal((await slots.acquire({ linkId: created.body.id, taskId: 'busy-2', owner: 'o2', maxConcurrentTasks: 1 })).granted, false);
    assert.match(words((await page('/ui/links')).text), /1 running, 1 queued/);
    await slots.release(created.body.id, 'busy-1', 'o1');

    const week = await page('/ui/links?window=7d');
    assert.equal(week.response.status, 200);
    assert.match(words(week.text), /P95 completion, last 7 days/);
    const bad = await page('/ui/links?window=forever');
    assert.equal(bad.response.status, 400);
    assert.match(bad.text, /window:/);
  });

  test('the new pages are well under 100 KB each', async () => {
    const execution = (await h.api('GET', '/executions')).body.items[0].id;
    for (const path of ['/ui/executions', `/ui/executions/${execution}`, '/ui/links', '/ui/links?window=7d']) {
      const { response, text } = await page(path);
      assert.equal(response.status, 200, path);
      assert.ok(Buffer.byteLength(text) < 100_000, `${path}: ${Buffer.byteLength(text)} bytes`);
      assert.match(text, /href="\/ui\/executions"/, 'the navigation offers executions');
      assert.match(text, /href="\/ui\/links"/, 'and links');
    }
  });
});
