import assert from 'node:assert/strict';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, test } from 'node:test';
import { createLogger } from '../../shared/log.ts';
import { DynamoDbNotificationLedger } from '../../shared/notifications/ledger.ts';
import { createNotifier, type Notifier } from '../../shared/notifications/notifier.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/notifications/signature.ts';
import { NotificationsConfig } from '../../shared/notifications/target.ts';
import { createWebhookDelivery } from '../../shared/notifications/webhook-delivery.ts';
import { closeRegistryClients, pushImage } from '../support/images.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../support/notification-receiver.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

const TOKEN = 'Bearer notify-webhook-token';
const SECRET = 'notification-secret-0123456789';
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let receiver: NotificationReceiver;
let notifier: Notifier;
const delivery = createWebhookDelivery({ policy: { attempts: 3, baseMs: 1, maxMs: 5, timeoutMs: 5_000 } });

async function push(repository: string, tag: string, id: string, digest = `sha256:${'0'.repeat(64)}`): Promise<string[]> {
  const body = { events: [{ id, timestamp: new Date().toISOString(), action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', repository, tag, digest } }] };
  const response = await fetch(`${h.webhookUrl}/webhooks/distribution`, { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 202);
  return ((await response.json()) as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id);
}

describe('notifications: a failing task tells the rule\'s targets once, signed', () => {
  before(async () => {
    receiver = await startNotificationReceiver();
    src = await startRegistry({ name: 'notify-src' });
    dst = await startRegistry({ name: 'notify-dst' });
    const config = NotificationsConfig.parse({ targets: { ops: { kind: 'webhook', url: receiver.url, secret: SECRET } } });
    let ruleStore: Harness['ruleStore'] | undefined;
    let tasksLedger: DynamoDbNotificationLedger | undefined;
    h = await startHarness({
      sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } },
      declare: [dst.host],
      onTaskFinished: (task) => notifier.taskFinished(task),
    });
    ruleStore = h.ruleStore;
    tasksLedger = new DynamoDbNotificationLedger({ client: h.aws.clients.dynamodb, tableName: h.aws.tables.tasks, retentionDays: 1 });
    notifier = createNotifier({
      config,
      rulePolicies: async (id) => (await ruleStore.get(id))?.notifications ?? [],
      ledger: tasksLedger,
      delivery,
      logger: createLogger({ sink: (line) => h.logs.push(line) }),
    });
  });

  after(async () => {
    await delivery.close();
    await h?.close();
    await closeRegistryClients();
    await Promise.all([src?.close(), dst?.close(), receiver?.close()]);
  });

  test('one task.failed notification with a valid signature; the succeeding task and a rule without notifications send none; a redelivered message sends nothing more', async () => {
    const notifying = await h.api('POST', '/rules', {
      name: 'team with failure notifications',
      source: { registry: src.host, namespace: 'team' },
      destinations: [{ registry: dst.host, namespace: 'mirror' }],
      notifications: [{ on: 'failure', targets: ['ops'] }],
    });
    assert.equal(notifying.status, 201, JSON.stringify(notifying.body));
    const quiet = await h.api('POST', '/rules', {
      name: 'quiet without notifications',
      source: { registry: src.host, namespace: 'quiet' },
      destinations: [{ registry: dst.host, namespace: 'mirror-quiet' }],
    });
    assert.equal(quiet.status, 201, JSON.stringify(quiet.body));
    const image = await pushImage(src, 'team/app', { tag: 'v1', seed: 'notify-ok' });

    const [failing] = await push('team/ghost', 'v1', 'ev-ghost');
    const [succeeding] = await push('team/app', 'v1', 'ev-app', image.digest);
    await push('quiet/ghost', 'v1', 'ev-quiet');
    await h.drain({ idleMs: 1500 });

    const failed = (await h.api('GET', `/tasks/${failing}`)).body;
    assert.equal(failed.status, 'FAILED', JSON.stringify(failed));
    assert.equal((await h.api('GET', `/tasks/${succeeding}`)).body.status, 'SUCCEEDED');
    assert.equal(receiver.received.length, 1, JSON.stringify(receiver.received.map((r) => r.json)));
    const [only] = receiver.received;
    assert.ok(verifySignature(SECRET, only!.body, only!.headers[SIGNATURE_HEADER] as string), 'signature verifies over the raw body');
    assert.equal(verifySignature('another-secret-0123456789', only!.body, only!.headers[SIGNATURE_HEADER] as string), false);
    assert.equal(only!.headers['x-crossdock-event'], 'task.failed');
    assert.equal(only!.json.event, 'task.failed');
    assert.equal(only!.json.id, `task:${failing}:0`);
    assert.equal(only!.json.task.id, failing);
    assert.equal(only!.json.task.status, 'FAILED');
    assert.equal(only!.json.task.ruleId, notifying.body.id);
    assert.equal(only!.json.task.attempts, failed.attempts);
    assert.deepEqual(only!.json.task.error, failed.error);
    assert.deepEqual(only!.json.task.source, { registry: src.host, repository: 'team/ghost', tag: 'v1', digest: `sha256:${'0'.repeat(64)}` });
    assert.deepEqual(only!.json.task.destination, { registry: dst.host, repository: 'mirror/ghost', tag: 'v1' });
    assert.equal(only!.body.includes(SECRET), false, 'the secret never travels');

    // A duplicate of the message (SQS at-least-once), and a second worker reporting the same record.
    await h.aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.aws.queueUrl, MessageBody: JSON.stringify({ taskId: failing }) }));
    await h.drain({ idleMs: 1000 });
    await notifier.taskFinished((await h.taskStore.get(failing!))!);
    assert.equal(receiver.received.length, 1);
    assert.ok(h.logs.some((l) => l.includes('"message":"notification already sent"')));
  });
});
