import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../../shared/log.ts';
import { MemoryNotificationLedger } from '../../../shared/notifications/ledger.ts';
import { createNotifier } from '../../../shared/notifications/notifier.ts';
import { SIGNATURE_HEADER, signBody, verifySignature } from '../../../shared/notifications/signature.ts';
import { NotificationsConfig } from '../../../shared/notifications/target.ts';
import { createWebhookDelivery } from '../../../shared/notifications/webhook-delivery.ts';
import { Task } from '../../../shared/tasks/task.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../../support/notification-receiver.ts';

const SECRET = 'receiver-secret-0123456789';
let receiver: NotificationReceiver;
const sleeps: number[] = [];
const delivery = createWebhookDelivery({ policy: { attempts: 3, baseMs: 100, maxMs: 1_000, timeoutMs: 5_000 }, sleep: async (ms) => void sleeps.push(ms), random: () => 0 });
const logs: string[] = [];
const logger = createLogger({ sink: (line) => logs.push(line) });

function task(status: Task['status'], id = 'a'.repeat(32)): Task {
  return Task.parse({
    id, kind: 'manual', source: { registry: 'src.example', repository: 'team/app', tag: 'v1' }, destination: { registry: 'dst.example', repository: 'mirror/app', tag: 'v1' },
    options: { overwrite: true, platforms: [], referrers: true }, status, attempts: 1, generation: 0,
    createdAt: '2026-12-01T10:00:00.000Z', updatedAt: '2026-12-01T10:00:05.000Z', finishedAt: '2026-12-01T10:00:05.000Z',
    ...(status === 'FAILED' ? { error: { code: 'MANIFEST_UNKNOWN', message: 'source answered 404' } } : {}),
    ...(status === 'SUCCEEDED' ? { result: { sourceDigest: `sha256:${'1'.repeat(64)}`, digest: `sha256:${'1'.repeat(64)}`, digestPreserved: true, bytes: 42, manifests: 1, blobs: { copied: 2, mounted: 0, skipped: 0 }, referrers: 0 } } : {}),
  });
}

function notifierWith(config: unknown) {
  return createNotifier({ config: NotificationsConfig.parse(config), rulePolicies: async () => [], ledger: new MemoryNotificationLedger(), delivery, logger });
}

describe('notifier and webhook delivery', () => {
  before(async () => {
    receiver = await startNotificationReceiver();
  });
  after(async () => {
    await delivery.close();
    await receiver.close();
  });

  test('signatures verify over the exact bytes and nothing else', () => {
    const header = signBody(SECRET, '{"a":1}');
    assert.match(header, /^sha256=[0-9a-f]{64}$/);
    assert.equal(verifySignature(SECRET, '{"a":1}', header), true);
    assert.equal(verifySignature(SECRET, '{"a": 1}', header), false);
    assert.equal(verifySignature(SECRET, '{"a":1}', header.slice(0, -1)), false);
    assert.equal(verifySignature(SECRET, '{"a":1}', undefined), false);
  });

  test('a global `task` policy notifies every finished task; `failure` only the failed one', async () => {
    receiver.received.length = 0;
    const every = notifierWith({ targets: { all: { kind: 'webhook', url: receiver.url, secret: SECRET } }, global: [{ on: 'task', targets: ['all'] }] });
    await every.taskFinished(task('SUCCEEDED', 'b'.repeat(32)));
    await every.taskFinished(task('FAILED', 'c'.repeat(32)));
    await every.taskFinished(task('RUNNING', 'd'.repeat(32)));
    assert.deepEqual(receiver.received.map((r) => r.json.event), ['task.succeeded', 'task.failed']);
    assert.equal(receiver.received[0]!.json.task.bytes, 42);
    assert.equal(receiver.received[0]!.json.task.destination.digest, `sha256:${'1'.repeat(64)}`);

    receiver.received.length = 0;
    const failures = notifierWith({ targets: { all: { kind: 'webhook', url: receiver.url, secret: SECRET } }, global: [{ on: 'failure', targets: ['all'] }] });
    await failures.taskFinished(task('SUCCEEDED', 'b'.repeat(32)));
    await failures.taskFinished(task('SKIPPED', 'e'.repeat(32)));
    await failures.taskFinished(task('FAILED', 'c'.repeat(32)));
    assert.deepEqual(receiver.received.map((r) => [r.json.event, r.json.task.error?.code]), [['task.failed', 'MANIFEST_UNKNOWN']]);
  });

  test('an execution-finished notification arrives once, with the roll-up\'s counts', async () => {
    receiver.received.length = 0;
    const notifier = notifierWith({ targets: { runs: { kind: 'webhook', url: receiver.url, secret: SECRET } }, global: [{ on: 'execution', targets: ['runs'] }] });
    const rollup = { id: 'exec-1', ruleId: 'rule-1', counts: { SUCCEEDED: 7, SKIPPED: 2, FAILED: 1 }, bytes: 123_456, startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:05:00.000Z' };
    await notifier.taskFinished(task('FAILED'));
    await notifier.executionFinished(rollup);
    await notifier.executionFinished(rollup);
    assert.equal(receiver.received.length, 1);
    const [only] = receiver.received;
    assert.ok(verifySignature(SECRET, only!.body, only!.headers[SIGNATURE_HEADER] as string));
    assert.equal(only!.json.event, 'execution.finished');
    assert.deepEqual(only!.json.execution, { ...rollup, status: 'FAILED', total: 10 });
  });

  test('a 503 then 204 is delivered on the second attempt after a backoff; a 400 is not retried', async () => {
    receiver.received.length = 0;
    sleeps.length = 0;
    receiver.failNext(503);
    const target = { kind: 'webhook' as const, url: receiver.url, secret: SECRET };
    assert.equal(await delivery.deliver(target, '{"n":1}'), 2);
    assert.equal(receiver.received.length, 2);
    assert.deepEqual(sleeps, [50]);
    receiver.failNext(400);
    await assert.rejects(delivery.deliver(target, '{"n":2}'), (e: Error & { code?: string }) => e.code === 'NOTIFICATION_FAILED' && /answered 400 \(attempt 1 of 3\)/.test(e.message));
    receiver.failNext(500, 500, 500);
    await assert.rejects(delivery.deliver(target, '{"n":3}'), /answered 500 \(attempt 3 of 3\)/);
  });

  test('a target resolving to the metadata service is refused before any socket opens', async () => {
    let sockets = 0;
    const guarded = createWebhookDelivery({
      policy: { attempts: 3, baseMs: 1, maxMs: 1, timeoutMs: 1_000 },
      sleep: async () => {},
      // Test seams: the name resolves to the metadata address; a connector that counts and never connects.
      egress: { resolve: async () => ['169.254.169.254'], connector: () => (_options, callback) => { sockets++; callback(new Error('no socket in this test'), null); } },
    });
    try {
      await assert.rejects(guarded.deliver({ kind: 'webhook', url: 'http://hooks.example.test/x', secret: SECRET }, '{}'), (e: Error) => /EGRESS_REFUSED|169\.254\.169\.254/.test(`${(e as { code?: string }).code} ${e.message}`) && /attempt 1 of 3/.test(e.message));
      assert.equal(sockets, 0);
    } finally {
      await guarded.close();
    }
  });

  test('configuration naming an undeclared target is refused with every problem', () => {
    const parsed = NotificationsConfig.safeParse({ targets: { a: { kind: 'webhook', url: 'ftp://x', secret: 'short' } }, global: [{ on: 'failure', targets: ['nope'] }] });
    assert.equal(parsed.success, false);
    const messages = parsed.error!.issues.map((i) => i.message).join('\n');
    assert.match(messages, /http or https URL/);
    assert.match(messages, /at least 16 characters/);
    const undeclared = NotificationsConfig.safeParse({ targets: { a: { kind: 'webhook', url: 'https://hooks.example.test/', secret: SECRET } }, global: [{ on: 'failure', targets: ['a', 'nope'] }] });
    assert.deepEqual(undeclared.error?.issues.map((i) => i.message), ['global.0.targets: no notification target "nope" is declared (declared: a; notifications.targets in the service configuration)']);
  });
});
