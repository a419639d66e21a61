/**
 * The console in a real browser: Debian's chromium, headless, driven by playwright-core, over
 * the functions harness (embedded DynamoDB and SQS, real registries, the real webhook). One
 * browser for the file. Screenshots land in docs/screenshots/ for the README.
 *
 * Nothing leaves loopback: the browser resolves no name but loopback, sends everything else to
 * a closed local proxy port, and every page request to another origin is aborted.
 */
import assert from 'node:assert/strict';
import { mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { freePort } from '../../support/ports.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { API_KEY, startHarness, type Harness } from '../harness.ts';

const SCREENSHOTS = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'docs', 'screenshots');
const CHROMIUM = process.env['CROSSDOCK_CHROMIUM'] ?? '/usr/bin/chromium';
const TOKEN = 'Bearer console-webhook-token';
/** Generous: the suite shares two cores with everything else. */
const WAIT_MS = 60_000;

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let browser: Browser;
let context: BrowserContext;
let page: Page;

const shot = (name: string) => page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });

describe('the console in chromium', () => {
  before(async () => {
    const webhookPort = await freePort();
    [src, dst] = await Promise.all([
      startRegistry({ name: 'browser-src', notify: { url: `http://127.0.0.1:${webhookPort}/webhooks/distribution`, headers: { Authorization: [TOKEN] } } }),
      startRegistry({ name: 'browser-dst' }),
    ]);
    h = await startHarness({
      webhookPort,
      sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } },
      declare: [dst.host],
    });
    await Promise.all([
      pushImage(src, 'team/app', { tag: 'v1.0', seed: 'b-v10' }),
      pushImage(src, 'team/app', { tag: 'v1.1', seed: 'b-v11' }),
      pushImage(src, 'team/app', { tag: 'latest', seed: 'b-latest' }),
    ]);
    await mkdir(SCREENSHOTS, { recursive: true });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--no-sandbox',
        '--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1',
        '--proxy-server=http://127.0.0.1:9',
        '--proxy-bypass-list=127.0.0.1',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
      ],
    });
    context = await browser.newContext({ viewport: { width: 1100, height: 800 } });
    await context.route((url) => !url.href.startsWith(h.apiUrl), (route) => route.abort());
    page = await context.newPage();
    page.setDefaultTimeout(WAIT_MS);
  });

  after(async () => {
    await browser?.close();
    await h?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('signs in with an API key: a wrong key says so, the right one opens the console with a strict cookie', async () => {
    await page.goto(`${h.apiUrl}/ui/tasks`);
    assert.match(new URL(page.url()).pathname, /^\/ui\/sign-in$/);
    await page.fill('input[name=apiKey]', 'wrong-key');
    await page.click('button[type=submit]');
    await page.getByText('That API key is not valid').waitFor({ timeout: WAIT_MS });
    await shot('sign-in');
    await page.fill('input[name=apiKey]', API_KEY);
    await page.click('button[type=submit]');
    await page.waitForURL(`${h.apiUrl}/ui/tasks`);
    const [cookie] = await context.cookies();
    assert.equal(cookie?.name, 'crossdock_session');
    assert.equal(cookie?.httpOnly, true);
    assert.equal(cookie?.sameSite, 'Strict');
    assert.ok(cookie!.expires > Date.now() / 1000, 'expiring');
    assert.equal(await page.evaluate('document.cookie'), '', 'not readable from script');
  });

  test('creates a rule while the preview shows which tags the pattern matches', async () => {
    await page.goto(`${h.apiUrl}/ui/rules/new`);
    await page.fill('input[name=name]', 'team to mirror');
    await page.fill('input[name=sourceRegistry]', src.host);
    await page.fill('input[name=sourceNamespace]', 'team');
    await page.fill('input[name=tagPattern]', 'v[0-9.]+');
    const matched = page.locator('#preview ul[aria-label=matched]');
    await matched.getByText('v1.1').waitFor({ timeout: WAIT_MS });
    assert.deepEqual((await matched.locator('li').allInnerTexts()).map((t) => t.replace(/^\W+/, '').trim()), ['v1.0', 'v1.1']);
    assert.match(await page.locator('#preview ul[aria-label=unmatched]').innerText(), /latest/);
    await page.locator('input[name=destRegistry]').first().fill(dst.host);
    await page.locator('input[name=destNamespace]').first().fill('mirror');
    await shot('rule-preview');
    await page.click('text=Save rule');
    await page.waitForURL(`${h.apiUrl}/ui/rules`);
    await page.getByText('team to mirror').waitFor();
    const rules = (await h.api('GET', '/rules')).body.items;
    assert.equal(rules.length, 1);
    assert.deepEqual(rules[0].destinations, [{ registry: dst.host, namespace: 'mirror' }]);
    assert.equal(rules[0].tagPattern, 'v[0-9.]+');
    await shot('rules');
  });

  test('watches a push replicate: the records page updates itself from PENDING to SUCCEEDED', async () => {
    await page.goto(`${h.apiUrl}/ui/tasks`);
    const pushed = await pushImage(src, 'team/app', { tag: 'v2.0', seed: 'b-v20' });
    const row = page.locator('#tasks tr', { hasText: 'team/app:v2.0' });
    await row.getByText('PENDING').waitFor({ timeout: WAIT_MS });
    await h.drain({ idleMs: 500 });
    await row.getByText('SUCCEEDED').waitFor({ timeout: WAIT_MS });
    await shot('records');
    await row.locator('a').first().click();
    await page.getByText('Destination digest').waitFor();
    assert.ok((await page.locator('dl').innerText()).includes(pushed.digest), 'the destination digest is shown');
    await shot('record');
  });

  test('shows a failure in the health summary, and retries the failed task from its page', async () => {
    const sync = await h.api('POST', '/sync', { source: `${src.host}/other/late:v1`, destinations: [`${dst.host}/other/late:v1`] });
    const id = sync.body.tasks[0].id;
    await h.drain({ idleMs: 500 });
    assert.equal((await h.taskStore.get(id))?.status, 'FAILED');
    await page.goto(`${h.apiUrl}/ui/health`);
    assert.match(await page.locator('.cards').innerText(), /Queue: waiting\s*0\s*0 in flight/);
    const failures = await page.locator('#health table').innerText();
    assert.match(failures, new RegExp(`${(await h.taskStore.get(id))!.error!.code}\\s+1\\s`));
    await shot('health');
    await page.goto(`${h.apiUrl}/ui/tasks?status=FAILED`);
    await page.locator('#tasks a', { hasText: 'other/late:v1' }).click();
    await page.getByRole('button', { name: 'Retry' }).waitFor();
    const code = (await h.taskStore.get(id))!.error!.code;
    assert.match(await page.locator('dl').innerText(), new RegExp(code));
    await shot('failed-record');
    await page.getByRole('button', { name: 'Retry' }).click();
    await page.locator('#task').getByText('PENDING').waitFor({ timeout: WAIT_MS });
    assert.equal((await h.taskStore.get(id))?.generation, 1);
    await pushImage(src, 'other/late', { tag: 'v1', seed: 'b-late' });
    await h.drain({ idleMs: 500 });
    await page.locator('#task').getByText('SUCCEEDED').waitFor({ timeout: WAIT_MS });
  });

  test('follows an execution with a failed task and retries it with "Retry failed"', async () => {
    const sync = await h.api('POST', '/sync', { source: `${src.host}/other/gone:v1`, destinations: [`${dst.host}/other/gone:v1`] });
    const execution: string = sync.body.execution;
    const id: string = sync.body.tasks[0].id;
    await h.drain({ idleMs: 500 });
    assert.equal((await h.taskStore.get(id))?.status, 'FAILED');
    await page.goto(`${h.apiUrl}/ui/executions`);
    const row = page.locator('#executions tbody tr').first();
    assert.match(await row.innerText(), new RegExp(`FAILED[^]*${execution}[^]*manual sync[^]*1: 1 failed`), 'newest first, with its counts');
    await shot('executions');
    await row.locator('a', { hasText: execution }).click();
    await page.getByRole('button', { name: 'Retry failed (1)' }).waitFor();
    assert.match(await page.locator('#execution tbody').innerText(), /other\/gone:v1/);
    await shot('execution');
    await page.getByRole('button', { name: 'Retry failed (1)' }).click();
    await page.getByText('1 failed tasks queued again').waitFor({ timeout: WAIT_MS });
    assert.equal((await h.taskStore.get(id))?.generation, 1);
    await pushImage(src, 'other/gone', { tag: 'v1', seed: 'b-gone' });
    await h.drain({ idleMs: 500 });
    // The page refreshes itself while the execution runs, until it has succeeded.
    await page.locator('#execution dl .badge', { hasText: 'SUCCEEDED' }).waitFor({ timeout: WAIT_MS });
    assert.equal(await page.getByRole('button', { name: /Retry failed/ }).count(), 0);
  });

  test('shows a link with its P95 point after a task ran on it', async () => {
    const link = await h.api('POST', '/links', { name: 'to the mirror', sourceRegistry: src.host, destinationRegistry: dst.host, maxConcurrentTasks: 2, maxBandwidth: 100 * 1024 * 1024 });
    assert.equal(link.status, 201, JSON.stringify(link.body));
    const sync = await h.api('POST', '/sync', { source: `${src.host}/team/app:v1.0`, destinations: [`${dst.host}/linked/app:v1.0`] });
    await h.drain({ idleMs: 500 });
    assert.equal((await h.taskStore.get(sync.body.tasks[0].id))?.link?.id, link.body.id);
    await page.goto(`${h.apiUrl}/ui/links`);
    const chart = page.locator(`#link-${link.body.id} svg.chart`);
    assert.equal(await chart.getAttribute('data-points'), '1');
    assert.equal(await chart.locator('rect').count(), 1, 'one point drawn');
    assert.match(await page.locator(`#link-${link.body.id} table`).innerText(), /\s1\s+\d+(\.\d+)? (ms|s)/);
    assert.match(await page.locator('main table').first().innerText(), /to the mirror[^]*100 MiB\/s[^]*0 running, 0 queued/);
    await shot('links');
  });

  test('a change posted without the CSRF token is refused', async () => {
    const ruleId = (await h.api('GET', '/rules')).body.items[0].id;
    const status = await page.evaluate(async (id) => (await fetch(`/ui/rules/${id}/disable`, { method: 'POST' })).status, ruleId);
    assert.equal(status, 403);
    assert.equal((await h.api('GET', `/rules/${ruleId}`)).body.enabled, true);
  });

  test('every page fits a 390 px wide phone without horizontal scrolling', async () => {
    await page.setViewportSize({ width: 390, height: 844 });
    const taskId = (await h.api('GET', '/tasks?status=SUCCEEDED')).body.items[0].id;
    const ruleId = (await h.api('GET', '/rules')).body.items[0].id;
    const executionId = (await h.api('GET', '/executions')).body.items[0].id;
    for (const path of ['/ui/tasks', `/ui/tasks/${taskId}`, '/ui/rules', '/ui/rules/new', `/ui/rules/${ruleId}`, '/ui/subscriptions', '/ui/health', '/ui/executions', `/ui/executions/${executionId}`, '/ui/links']) {
      await page.goto(`${h.apiUrl}${path}`);
      const widths = await page.evaluate('({ scroll: document.documentElement.scrollWidth, client: document.documentElement.clientWidth })') as { scroll: number; client: number };
      assert.ok(widths.scroll <= widths.client, `${path}: ${widths.scroll} px wide in a ${widths.client} px viewport`);
    }
    await page.goto(`${h.apiUrl}/ui/links`);
    await shot('phone-links');
    await page.goto(`${h.apiUrl}/ui/tasks`);
    await shot('phone-records');
  });
});
