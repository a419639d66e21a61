import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { GetQueueAttributesCommand } from '@aws-sdk/client-sqs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Agent, request } from 'undici';
import { fileURLToPath } from 'node:url';
import { OTHER_REGISTRY_CASES } from '../shared/webhooks/other-registry-cases.ts';
import { variant } from '../shared/webhooks/samples.ts';
import type { Provider } from '../../shared/webhooks/push-event.ts';
import { startHarness, type Harness } from './harness.ts';

const SAMPLES = fileURLToPath(new URL('../fixtures/webhooks/', import.meta.url));
const TOKEN = 'Bearer distribution-secret';
const GITHUB_SECRET = 'github-hook-secret';
let h: Harness;

async function post(path: string, body: string | Buffer, headers: Record<string, string> = {}) {
  // A connection per request: a 413 answered before the body was read ends its connection.
  const dispatcher = new Agent({ pipelining: 0 });
  try {
    const response = await request(`${h.webhookUrl}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body, dispatcher });
    const text = await response.body.text();
    return { status: response.statusCode, body: text ? JSON.parse(text) : undefined };
  } finally {
    await dispatcher.close();
  }
}

async function queued(): Promise<number> {
  const a = await h.aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: h.aws.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
  return Number(a.Attributes?.ApproximateNumberOfMessages ?? '0');
}

async function taskCount(): Promise<number> {
  return (await h.api('GET', '/tasks?limit=200')).body.items.length;
}

describe('POST /webhooks/:provider refuses what it must, and enqueues nothing for it', () => {
  let distribution: string;
  let github: string;

  before(async () => {
    h = await startHarness({
      sources: {
        distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: 'registry.example.com' },
        github: { provider: 'github', auth: { kind: 'hmac-sha256', secret: GITHUB_SECRET } },
      },
      // Named only: nothing here is ever contacted (no worker runs in these tests).
      declare: ['ghcr.io', 'mirror.example.com'],
    });
    distribution = await readFile(join(SAMPLES, 'distribution-push-manifest.json'), 'utf8');
    github = await readFile(join(SAMPLES, 'github-package-published.json'), 'utf8');
    const parsed = JSON.parse(distribution);
    const rule = await h.api('POST', '/rules', {
      name: 'everything from the sample',
      source: { registry: 'registry.example.com', namespace: parsed.events[0].target.repository.split('/')[0] },
      destinations: [{ registry: 'mirror.example.com', namespace: 'mirror' }],
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    await h.api('POST', '/rules', { name: 'ghcr', source: { registry: 'ghcr.io', namespace: JSON.parse(github).package.owner.login.toLowerCase() }, destinations: [{ registry: 'mirror.example.com', namespace: 'gh' }] });
  });

  after(() => h?.close());

  test('a genuine distribution push is answered 202 with the event and its task', async () => {
    const res = await post('/webhooks/distribution', distribution, { authorization: TOKEN });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    assert.equal(res.body.events.length, 1);
    assert.equal(res.body.events[0].registry, 'registry.example.com');
    assert.equal(res.body.tasks.length, 1);
    assert.equal(res.body.tasks[0].created, true);
    assert.equal(await queued(), 1);
  });

  for (const [name, headers, reason] of [
    ['no token', {}, /missing/],
    ['a wrong token', { authorization: 'Bearer wrong' }, /token mismatch/],
    ['a token of another length', { authorization: 'x' }, /token mismatch/],
  ] as const) {
    test(`${name} → 401, no task`, async () => {
      const tasks = await taskCount();
      const res = await post('/webhooks/distribution', distribution.replace('"tag"', '"tag"'), headers);
      assert.equal(res.status, 401);
      assert.equal(res.body.error.code, 'WEBHOOK_UNAUTHENTICATED');
      assert.match(res.body.error.message, reason);
      assert.equal(await taskCount(), tasks);
    });
  }

  test('a GitHub delivery signed over the raw body is accepted; one changed byte, or no signature, is 401', async () => {
    const sign = (body: string) => `sha256=${createHmac('sha256', GITHUB_SECRET).update(body).digest('hex')}`;
    const good = await post('/webhooks/github', github, { 'x-github-event': 'package', 'x-hub-signature-256': sign(github) });
    assert.equal(good.status, 202, JSON.stringify(good.body));
    assert.equal(good.body.tasks.length, 1);

    const tasks = await taskCount();
    const altered = github.replace('"published"', '"publishee"');
    const bad = await post('/webhooks/github', altered, { 'x-github-event': 'package', 'x-hub-signature-256': sign(github) });
    assert.equal(bad.status, 401);
    assert.match(bad.body.error.message, /signature mismatch/);
    const unsigned = await post('/webhooks/github', github, { 'x-github-event': 'package' });
    assert.equal(unsigned.status, 401);
    assert.equal(await taskCount(), tasks);
  });

  test('malformed JSON → 400 with the reason, no task', async () => {
    const tasks = await taskCount();
    const res = await post('/webhooks/distribution', '{"events": [', { authorization: TOKEN });
    assert.equal(res.status, 400);
    assert.equal(res.body.error.code, 'WEBHOOK_PAYLOAD_INVALID');
    assert.match(res.body.error.message, /JSON/);
    assert.equal(await taskCount(), tasks);
  });

  test('JSON of the wrong shape → 400 naming the problem', async () => {
    const res = await post('/webhooks/distribution', '{"hello": "world"}', { authorization: TOKEN });
    assert.equal(res.status, 400);
    assert.match(JSON.stringify(res.body.error), /events/);
  });

  test('a body over 1 MiB → 413, no task', async () => {
    const tasks = await taskCount();
    const res = await post('/webhooks/distribution', Buffer.alloc(1024 * 1024 + 1, 0x20), { authorization: TOKEN });
    assert.equal(res.status, 413);
    assert.equal(res.body.error.code, 'WEBHOOK_TOO_LARGE');
    assert.equal(await taskCount(), tasks);
  });

  test('an unknown provider → 404; a known provider without a configured source → 404', async () => {
    const unknown = await post('/webhooks/nexus', distribution, { authorization: TOKEN });
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'WEBHOOK_PROVIDER_UNKNOWN');
    const unconfigured = await post('/webhooks/harbor', distribution, { authorization: TOKEN });
    assert.equal(unconfigured.status, 404);
    assert.equal(unconfigured.body.error.code, 'WEBHOOK_SOURCE_UNKNOWN');
  });

  test('pulls, deletes and blob pushes are answered 2xx, counted, and enqueue nothing', async () => {
    const tasks = await taskCount();
    for (const sample of ['distribution-pull-manifest.json', 'distribution-delete-manifest.json', 'distribution-push-blob.json', 'distribution-mount-blob.json']) {
      const res = await post('/webhooks/distribution', await readFile(join(SAMPLES, sample), 'utf8'), { authorization: TOKEN });
      assert.equal(res.status, 202, sample);
      assert.equal(res.body.events.length, 0, sample);
      assert.ok(res.body.ignored.count >= 1, sample);
    }
    assert.equal(await taskCount(), tasks);
  });
});

describe('a webhook naming another registry than its source creates nothing, for every provider', () => {
  let o: Harness;

  before(async () => {
    const providers = Object.keys(OTHER_REGISTRY_CASES) as Provider[];
    const others = [...new Set(providers.map((p) => OTHER_REGISTRY_CASES[p].other))];
    // Every registry B is declared, so only the webhook's own refusal can keep B's pushes out.
    o = await startHarness({
      sources: Object.fromEntries(providers.map((p) => [p, { provider: p, auth: { kind: 'none' }, registry: OTHER_REGISTRY_CASES[p].configured }])),
      declare: [...others, 'mirror.example.com'],
    });
    // Registry-wide rules on every registry B: a push attributed to B would create a task.
    for (const other of others) {
      const rule = await o.api('POST', '/rules', { name: `all of ${other}`, source: { registry: other }, destinations: [{ registry: 'mirror.example.com', namespace: 'm' }] });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
    }
  });

  after(() => o?.close());

  for (const [provider, c] of Object.entries(OTHER_REGISTRY_CASES)) {
    test(`${provider}: no task, and no event for the other registry`, async () => {
      const res = await fetch(`${o.webhookUrl}/webhooks/${provider}`, { method: 'POST', headers: { 'content-type': 'application/json', ...c.headers }, body: variant(c.file, c.nameOther) });
      const body = (await res.json()) as { events: { registry: string }[]; tasks: unknown[]; ignored: { reasons: Record<string, number> } };
      assert.equal(res.status, 202, JSON.stringify(body));
      assert.deepEqual(body.tasks, []);
      assert.ok(body.events.every((e) => e.registry === c.configured.toLowerCase()), JSON.stringify(body.events));
      if (c.reliable) assert.equal(body.ignored.reasons['other-registry'], 1);
      assert.equal((await o.api('GET', '/tasks?limit=200')).body.items.length, 0);
    });
  }
});
