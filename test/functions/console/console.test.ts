/**
 * The console over HTTP, without a browser: sign-in, the session cookie's flags, CSRF and origin
 * refusals, page weight, and that the JSON API answers as before. Real registries and the
 * embedded AWS stack through the functions harness.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { TaskPage } from '../../../functions/console/task-page.tsx';
import type { Task } from '../../../shared/tasks/task.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { API_KEY, startHarness, type Harness } from '../harness.ts';

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;

async function signIn(key = API_KEY, headers: Record<string, string> = {}) {
  const response = await fetch(`${h.apiUrl}/ui/sign-in`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.apiUrl, ...headers },
    body: new URLSearchParams({ apiKey: key, next: '/ui/rules' }),
  });
  return { response, setCookie: response.headers.get('set-cookie') ?? '', cookie: (response.headers.get('set-cookie') ?? '').split(';')[0]! };
}

async function page(path: string, cookie: string) {
  const response = await fetch(`${h.apiUrl}${path}`, { headers: { cookie }, redirect: 'manual' });
  const text = await response.text();
  return { response, text, csrf: /name="_csrf" value="([^"]+)"/.exec(text)?.[1] };
}

/** Posts a form as the console's own page would (Origin set), unless `headers` say otherwise; origin `-`: none. */
function post(path: string, cookie: string, form: Record<string, string>, headers: Record<string, string> = {}) {
  const { origin = h.apiUrl, ...rest } = headers;
  return fetch(`${h.apiUrl}${path}`, {
    method: 'POST',
    redirect: 'manual',
    headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, ...rest, ...(origin === '-' ? {} : { origin }) },
    body: new URLSearchParams(form),
  });
}

describe('the console over HTTP', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'console-src' }), startRegistry({ name: 'console-dst' })]);
    h = await startHarness({ declare: [src.host, dst.host] });
  });

  after(async () => {
    await h?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('a page without a session leads to sign-in; the JSON API still wants its key', async () => {
    const root = await fetch(`${h.apiUrl}/`, { redirect: 'manual' });
    assert.equal(root.status, 302);
    assert.equal(root.headers.get('location'), '/ui/tasks');
    const records = await fetch(`${h.apiUrl}/ui/tasks?status=FAILED`, { redirect: 'manual' });
    assert.equal(records.status, 303);
    assert.equal(records.headers.get('location'), '/ui/sign-in?next=%2Fui%2Ftasks%3Fstatus%3DFAILED');
    assert.equal((await h.api('GET', '/rules', undefined, {})).status, 401);
    assert.equal((await h.api('GET', '/rules')).status, 200);
  });

  test('a wrong key is refused with a clear message and no cookie', async () => {
    const { response, setCookie } = await signIn('not-the-key');
    assert.equal(response.status, 401);
    assert.equal(setCookie, '');
    assert.match(await response.text(), /That API key is not valid/);
  });

  test('the session cookie is HttpOnly, SameSite=Strict, expiring, and Secure when served over TLS', async () => {
    const plain = await signIn();
    assert.equal(plain.response.status, 303);
    assert.equal(plain.response.headers.get('location'), '/ui/rules');
    assert.match(plain.setCookie, /HttpOnly/);
    assert.match(plain.setCookie, /SameSite=Strict/);
    assert.match(plain.setCookie, /Max-Age=28800/);
    assert.match(plain.setCookie, /Path=\/ui/);
    assert.doesNotMatch(plain.setCookie, /Secure/);
    assert.ok(!plain.setCookie.includes(API_KEY));
    // Behind TLS (API Gateway's URL is https; a proxy says so with X-Forwarded-Proto).
    const tls = await signIn(API_KEY, { 'x-forwarded-proto': 'https', origin: h.apiUrl.replace('http:', 'https:') });
    assert.match(tls.setCookie, /Secure/);
  });

  test('a change without the CSRF token, or from another origin, is refused and changes nothing', async () => {
    const { cookie } = await signIn();
    const rule = await h.api('POST', '/rules', { name: 'csrf', source: { registry: src.host, namespace: 'csrf' }, destinations: [{ registry: dst.host, namespace: 'copy' }] });
    const { csrf } = await page('/ui/rules', cookie);
    assert.ok(csrf);
    const noToken = await post(`/ui/rules/${rule.body.id}/disable`, cookie, {});
    assert.equal(noToken.status, 403);
    assert.match(await noToken.text(), /CSRF token/);
    const wrongToken = await post(`/ui/rules/${rule.body.id}/disable`, cookie, { _csrf: csrf!.slice(2) });
    assert.equal(wrongToken.status, 403);
    const foreign = await post(`/ui/rules/${rule.body.id}/disable`, cookie, { _csrf: csrf! }, { origin: 'http://evil.example' });
    assert.equal(foreign.status, 403);
    assert.match(await foreign.text(), /Origin/);
    const crossSite = await post(`/ui/rules/${rule.body.id}/disable`, cookie, { _csrf: csrf! }, { origin: '-', 'sec-fetch-site': 'cross-site' });
    assert.equal(crossSite.status, 403);
    assert.equal((await h.api('GET', `/rules/${rule.body.id}`)).body.enabled, true);

    const ok = await post(`/ui/rules/${rule.body.id}/disable`, cookie, { _csrf: csrf! });
    assert.equal(ok.status, 303);
    assert.equal((await h.api('GET', `/rules/${rule.body.id}`)).body.enabled, false);
    // Another session's token is not this one's.
    const other = await signIn();
    const otherCsrf = (await page('/ui/rules', other.cookie)).csrf!;
    assert.notEqual(otherCsrf, csrf);
    assert.equal((await post(`/ui/rules/${rule.body.id}/enable`, cookie, { _csrf: otherCsrf })).status, 403);
  });

  test('signing out clears the cookie, and sign-in never redirects off the console', async () => {
    const { cookie } = await signIn();
    const { csrf } = await page('/ui/tasks', cookie);
    const out = await post('/ui/sign-out', cookie, { _csrf: csrf! });
    assert.equal(out.status, 303);
    assert.match(out.headers.get('set-cookie') ?? '', /crossdock_session=;.*Max-Age=0/);
    const offsite = await fetch(`${h.apiUrl}/ui/sign-in`, {
      method: 'POST', redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: h.apiUrl },
      body: new URLSearchParams({ apiKey: API_KEY, next: '//evil.example/ui' }),
    });
    assert.equal(offsite.headers.get('location'), '/ui/tasks');
  });

  test('every page is well under 100 KB and carries a strict content security policy', async () => {
    const { cookie } = await signIn();
    await pushImage(src, 'weight/app', { tag: 'v1', seed: 'weight' });
    for (const path of ['/ui/sign-in', '/ui/tasks', '/ui/rules', '/ui/rules/new', '/ui/subscriptions', '/ui/health']) {
      const { response, text } = await page(path, cookie);
      assert.equal(response.status, 200, path);
      assert.ok(Buffer.byteLength(text) < 100_000, `${path}: ${Buffer.byteLength(text)} bytes`);
      assert.match(response.headers.get('content-security-policy') ?? '', /script-src 'nonce-/);
      assert.match(text, /<meta name="viewport"/);
    }
  });

  test('the preview lists matched and unmatched tags, and never contacts an undeclared registry', async () => {
    const { cookie } = await signIn();
    await pushImage(src, 'preview/app', { tag: 'v1.0', seed: 'p1' });
    await pushImage(src, 'preview/app', { tag: 'latest', seed: 'p2' });
    const query = new URLSearchParams({ sourceRegistry: src.host, sourceNamespace: 'preview', sourceRepository: '', tagPattern: 'v[0-9.]+' });
    const fragment = await fetch(`${h.apiUrl}/ui/rules/preview?${query}`, { headers: { cookie } });
    const html = await fragment.text();
    assert.match(html, /aria-label="matched"[^]*v1\.0/);
    assert.match(html, /aria-label="unmatched"[^]*latest/);
    const undeclared = new URLSearchParams({ sourceRegistry: '127.0.0.2:1', tagPattern: '.*' });
    const refused = await (await fetch(`${h.apiUrl}/ui/rules/preview?${undeclared}`, { headers: { cookie } })).text();
    assert.match(refused, /source.registry: .*not/);
  });

  test('a rule posted with problems is refused with every problem named, and nothing is stored', async () => {
    const { cookie } = await signIn();
    const { csrf } = await page('/ui/rules/new', cookie);
    const before = (await h.api('GET', '/rules')).body.items.length;
    const response = await post('/ui/rules', cookie, { _csrf: csrf!, name: 'bad', sourceRegistry: src.host, sourceNamespace: 'Bad', tagPattern: '(unclosed', destRegistry: '' });
    assert.equal(response.status, 400);
    const text = await response.text();
    assert.match(text, /source.namespace/);
    assert.match(text, /destinations/);
    assert.equal((await h.api('GET', '/rules')).body.items.length, before);
  });

  test('a rule made in the form keeps every destination, and running it from the list queues its tasks', async () => {
    const { cookie } = await signIn();
    await pushImage(src, 'formrun/app', { tag: 'v1', seed: 'formrun' });
    const { csrf } = await page('/ui/rules/new', cookie);
    const form = new URLSearchParams({ _csrf: csrf!, name: 'two places', sourceRegistry: src.host, sourceNamespace: 'formrun', sourceRepository: '', tagPattern: 'v[0-9]+', enabled: 'on', overwrite: 'on', referrers: 'on', platforms: '' });
    for (const [registry, namespace] of [[dst.host, 'one'], [dst.host, 'two'], ['', '']]) {
      form.append('destRegistry', registry!);
      form.append('destNamespace', namespace!);
      form.append('destRepository', '');
    }
    const created = await fetch(`${h.apiUrl}/ui/rules`, { method: 'POST', redirect: 'manual', headers: { 'content-type': 'application/x-www-form-urlencoded', cookie, origin: h.apiUrl }, body: form });
    assert.equal(created.status, 303);
    const rule = (await h.api('GET', '/rules')).body.items.find((r: any) => r.name === 'two places');
    assert.deepEqual(rule.destinations, [{ registry: dst.host, namespace: 'one' }, { registry: dst.host, namespace: 'two' }]);

    const ran = await post(`/ui/rules/${rule.id}/run`, cookie, { _csrf: csrf! });
    assert.equal(ran.status, 303);
    const execution = /^\/ui\/rules\?rule=[^&]+&execution=([^&]+)$/.exec(ran.headers.get('location') ?? '')?.[1];
    assert.ok(execution, ran.headers.get('location') ?? 'no location');
    assert.match((await page(ran.headers.get('location')!, cookie)).text, /Rule run started as execution/);
    await h.drain();
    assert.deepEqual((await h.api('GET', `/executions/${execution}`)).body.counts, { pending: 0, retrying: 0, queued: 0, running: 0, succeeded: 2, skipped: 0, failed: 0 });
    const tasks = (await h.api('GET', `/tasks?rule=${rule.id}`)).body.items;
    assert.deepEqual(tasks.map((t: any) => t.destination.repository).sort(), ['one/app', 'two/app']);

    // Retrying a task that has not finished (a manual sync not yet run) is refused with the reason, and changes nothing.
    const unrun = (await h.api('POST', '/sync', { source: `${src.host}/formrun/app:v1`, destinations: [`${dst.host}/three/app`] })).body.tasks[0];
    const retry = await post(`/ui/tasks/${unrun.id}/retry`, cookie, { _csrf: csrf! });
    assert.equal(retry.status, 409);
    assert.match(await retry.text(), /is PENDING/);
    assert.equal((await h.taskStore.get(unrun.id))?.generation, 0);
    await h.drain();

    // Records filtered by status show only that status; a bad filter names its problem.
    const succeeded = await page(`/ui/tasks?rule=${rule.id}&status=SUCCEEDED`, cookie);
    assert.equal((succeeded.text.match(/SUCCEEDED<\/span><\/a>/g) ?? []).length, 2);
    assert.doesNotMatch(succeeded.text, /PENDING<\/span><\/a>/);
    const bad = await page('/ui/tasks?since=yesterday&status=DONE', cookie);
    assert.equal(bad.response.status, 400);
    assert.match(bad.text, /since: &quot;yesterday&quot; is not a time/);
    assert.match(bad.text, /status:/);
  });

  test('a subscription runs now from its page and shows its last run', async () => {
    const { cookie } = await signIn();
    await pushImage(src, 'subs/app', { tag: 'v1', seed: 'subs' });
    const created = await h.api('POST', '/subscriptions', { name: 'follow subs', source: { registry: src.host, repository: 'subs/app' }, destination: { registry: dst.host, repository: 'subs-copy/app' }, latest: 1, schedule: '1d' });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const { csrf, text } = await page('/ui/subscriptions', cookie);
    assert.match(text, /follow subs/);
    const run = await post(`/ui/subscriptions/${created.body.id}/run`, cookie, { _csrf: csrf! });
    // As the API's run: an execution listed through the queue; the answer goes to its page at once.
    assert.equal(run.status, 303);
    const location = run.headers.get('location')!;
    assert.match(location, /^\/ui\/executions\/[^/]+$/);
    assert.equal((await h.api('GET', `/subscriptions/${created.body.id}`)).body.lastRun, undefined, 'nothing listed inside the request');
    await h.drain();
    const execution = (await h.api('GET', `/subscriptions/${created.body.id}`)).body.lastRun.executionId;
    assert.equal(location, `/ui/executions/${execution}`);
    const followed = await page(location, cookie);
    assert.equal(followed.response.status, 200);
    assert.match(followed.text, /SUCCEEDED/);
    const after = await page('/ui/subscriptions', cookie);
    assert.match(after.text, /1 queued, 0 up to date/);
    assert.ok(after.text.includes(`href="/ui/executions/${execution}"`), 'the last run links to its execution');
  });

  test('a record shows progress, link, timings and execution when the record carries them', async () => {
    const task = {
      id: 'a'.repeat(32), kind: 'push', source: { registry: 'src.example', repository: 'app', tag: 'v1' }, destination: { registry: 'dst.example', repository: 'app', tag: 'v1' },
      options: { overwrite: true, platforms: [], referrers: true }, status: 'RUNNING', attempts: 1, generation: 0, createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:01.000Z',
      progress: { bytesDone: 512 * 1024, bytesTotal: 1024 * 1024, blobsDone: 1, blobsTotal: 3, bytesPerSecond: 2048 },
      link: { id: 'l1', name: 'eu-link', type: 'shared' }, queuedMs: 1500, transferMs: 2500, executionId: 'exec-42',
    } as unknown as Task;
    const html = await TaskPage({ task, csrf: "t" }).toString();
    assert.match(html, /<progress max="1048576" value="524288"/);
    assert.match(html, /512 KiB of 1.0 MiB \(50%\) · 1\/3 blobs · 2.0 KiB\/s/);
    assert.match(html, /eu-link \(shared\)/);
    assert.match(html, /Queued for<\/dt><dd>1.5 s/);
    assert.match(html, /Transfer<\/dt><dd>2.5 s/);
    assert.match(html, /exec-42/);
    // Without them, the same page renders without those rows.
    const { progress: _p, link: _l, queuedMs: _q, transferMs: _t, executionId: _e, ...plain } = task as any;
    const bare = await TaskPage({ task: plain, csrf: "t" }).toString();
    assert.doesNotMatch(bare, /<progress|Queued for|Execution|Waiting/);
    // Waiting for a slot on its link: the place in line and since when.
    const queued = await TaskPage({ task: { ...plain, status: 'QUEUED', queuePosition: 3, queuedAt: '2026-12-01T10:00:02.000Z' }, csrf: 't' }).toString();
    assert.match(queued, /Waiting<\/dt><dd>for a slot on its link, position 3 since 2026-12-01 10:00:02Z/);
    assert.match(queued, /badge s-QUEUED"><span aria-hidden="true">⧗ <\/span>QUEUED/);
  });
});
