/**
 * `execution.finished`: the worker's finishing tasks schedule one delayed check per execution
 * (only when a target wants to hear of it), the check sees the execution finished and the
 * notifier sends the roll-up once, through the real queue, tables and a loopback receiver.
 */
import assert from 'node:assert/strict';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, test } from 'node:test';
import { createNotificationParts, type NotificationParts } from '../../functions/wiring/notifications.ts';
import { createLogger } from '../../shared/log.ts';
import { DynamoDbExecutionCheckMarks } from '../../shared/notifications/execution-check-marks.ts';
import { createExecutionWatch } from '../../shared/notifications/execution-watch.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../shared/notifications/signature.ts';
import { NotificationsConfig } from '../../shared/notifications/target.ts';
import type { ExecutionCheckMessage } from '../../shared/queue/queue.ts';
import { closeRegistryClients, pushImage } from '../support/images.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../support/notification-receiver.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

const TOKEN = 'Bearer execution-notify-token';
const SECRET = 'notification-secret-0123456789';
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let receiver: NotificationReceiver;
let parts: NotificationParts;
let checksSent = 0;

async function deliver(events: Array<{ repository: string; tag: string; digest: string }>): Promise<{ executionId: string; tasks: string[] }> {
  const body = { events: events.map((e, i) => ({ id: `ev-${e.repository}-${e.tag}-${i}`, timestamp: new Date().toISOString(), action: 'push', target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', ...e } })) };
  const response = await fetch(`${h.webhookUrl}/webhooks/distribution`, { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'application/json' }, body: JSON.stringify(body) });
  assert.equal(response.status, 202);
  const tasks = ((await response.json()) as { tasks: Array<{ id: string }> }).tasks.map((t) => t.id);
  const first = await h.taskStore.get(tasks[0]!);
  return { executionId: first!.executionId!, tasks };
}

describe('notifications: an execution-finished notification arrives once, with the right counts', () => {
  before(async () => {
    receiver = await startNotificationReceiver();
    src = await startRegistry({ name: 'exec-notify-src' });
    dst = await startRegistry({ name: 'exec-notify-dst' });
    h = await startHarness({
      sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } },
      declare: [dst.host],
      onTaskFinished: (task) => parts.notifier.taskFinished(task),
      checkExecution: (id) => parts.checkExecution(id),
    });
    const config = NotificationsConfig.parse({ targets: { runs: { kind: 'webhook', url: receiver.url, secret: SECRET } } });
    const queue = { sendExecutionCheck: async (message: ExecutionCheckMessage, delay: number) => {
      checksSent++;
      await h.queue.sendExecutionCheck(message, delay);
    } };
    parts = createNotificationParts({ notifications: config }, {
      dynamodb: h.aws.clients.dynamodb, tasksTable: h.aws.tables.tasks, retentionDays: 1, region: 'us-east-1',
      ruleStore: h.ruleStore, taskStore: h.taskStore, executionStore: h.executionStore, queue,
      logger: createLogger({ level: 'debug', sink: (line) => h.logs.push(line) }),
      delivery: { policy: { attempts: 2, baseMs: 1, maxMs: 5, timeoutMs: 5_000 } },
      checkDelaySeconds: 1,
    })!;
  });

  after(async () => {
    await parts?.close();
    await h?.close();
    await closeRegistryClients();
    await Promise.all([src?.close(), dst?.close(), receiver?.close()]);
  });

  test('a delivery of three pushes (two copied, one failing) sends one signed execution.finished with its counts; duplicates send nothing more', async () => {
    const rule = await h.api('POST', '/rules', {
      name: 'team, told when a run ends',
      source: { registry: src.host, namespace: 'team' },
      destinations: [{ registry: dst.host, namespace: 'mirror' }],
      notifications: [{ on: 'execution', targets: ['runs'] }],
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const a = await pushImage(src, 'team/a', { tag: 'v1', seed: 'exec-notify-a' });
    const b = await pushImage(src, 'team/b', { tag: 'v1', seed: 'exec-notify-b' });

    const { executionId, tasks } = await deliver([
      { repository: 'team/a', tag: 'v1', digest: a.digest },
      { repository: 'team/b', tag: 'v1', digest: b.digest },
      { repository: 'team/ghost', tag: 'v1', digest: `sha256:${'0'.repeat(64)}` },
    ]);
    assert.equal(tasks.length, 3);
    await h.drain({ idleMs: 2500 });

    const statuses = await Promise.all(tasks.map(async (id) => (await h.taskStore.get(id))!.status));
    assert.deepEqual(statuses.sort(), ['FAILED', 'SUCCEEDED', 'SUCCEEDED']);
    assert.equal(receiver.received.length, 1, JSON.stringify(receiver.received.map((r) => r.json)));
    const [only] = receiver.received;
    assert.ok(verifySignature(SECRET, only!.body, only!.headers[SIGNATURE_HEADER] as string));
    assert.equal(only!.headers['x-crossdock-event'], 'execution.finished');
    assert.equal(only!.json.id, `execution:${executionId}`);
    assert.equal(only!.json.execution.id, executionId);
    assert.deepEqual(only!.json.execution.counts, { SUCCEEDED: 2, FAILED: 1 });
    assert.equal(only!.json.execution.total, 3);
    assert.equal(only!.json.execution.status, 'FAILED');
    assert.deepEqual(only!.json.execution.ruleIds, [rule.body.id], 'a delivery names the rules whose tasks it holds');
    const summary = (await h.api('GET', `/executions/${executionId}`)).body;
    assert.equal(only!.json.execution.bytes, summary.bytes);
    assert.ok(summary.bytes > 0);
    assert.equal(only!.body.includes(SECRET), false);
    assert.ok(checksSent >= 1 && checksSent <= 3, `checks sent: ${checksSent}`);

    // SQS redelivers a task and the check; two workers check at once: still one notification.
    await h.aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.aws.queueUrl, MessageBody: JSON.stringify({ taskId: tasks[0] }) }));
    await h.aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.aws.queueUrl, MessageBody: JSON.stringify({ checkExecution: { executionId } }) }));
    await h.drain({ idleMs: 1500 });
    const outcomes = await Promise.all([1, 2, 3, 4].map(() => parts.checkExecution(executionId)));
    assert.deepEqual(outcomes, ['notified', 'notified', 'notified', 'notified'], 'each check sees it finished');
    assert.equal(receiver.received.length, 1);
    assert.ok(h.logs.some((l) => l.includes('"message":"notification already sent"') && l.includes(executionId)));
  });

  test('a check while a task is still pending sends nothing; the task finishing schedules the check that does', async () => {
    const image = await pushImage(src, 'team/c', { tag: 'v1', seed: 'exec-notify-c' });
    const received = receiver.received.length;
    const { executionId } = await deliver([{ repository: 'team/c', tag: 'v1', digest: image.digest }]);
    assert.equal(await parts.checkExecution(executionId), 'unfinished');
    assert.equal(receiver.received.length, received);
    await h.drain({ idleMs: 2500 });
    assert.equal(receiver.received.length, received + 1);
    const last = receiver.received.at(-1)!.json;
    assert.equal(last.execution.id, executionId);
    assert.deepEqual(last.execution.counts, { SUCCEEDED: 1 });
    assert.equal(last.execution.status, 'SUCCEEDED');
  });

  test('tasks of an execution no target asks about schedule no check and write no mark', async () => {
    const rule = await h.api('POST', '/rules', {
      name: 'quiet', source: { registry: src.host, namespace: 'quiet' }, destinations: [{ registry: dst.host, namespace: 'mirror-quiet' }],
      notifications: [{ on: 'failure', targets: ['runs'] }],
    });
    assert.equal(rule.status, 201, JSON.stringify(rule.body));
    const image = await pushImage(src, 'quiet/app', { tag: 'v1', seed: 'exec-notify-quiet' });
    const before = checksSent;
    const received = receiver.received.length;
    const { executionId } = await deliver([{ repository: 'quiet/app', tag: 'v1', digest: image.digest }]);
    await h.drain({ idleMs: 1500 });
    assert.equal(checksSent, before);
    assert.equal(receiver.received.length, received);
    const mark = await h.aws.clients.dynamodb.send(new GetItemCommand({ TableName: h.aws.tables.tasks, Key: { pk: { S: `NOTIFYCHECK#${executionId}` } } }));
    assert.equal(mark.Item, undefined);
  });

  test('workers finishing an execution\'s tasks at once schedule one check between them', async () => {
    const sent: string[] = [];
    const queue = { sendExecutionCheck: async (message: ExecutionCheckMessage) => void sent.push(message.checkExecution.executionId) };
    const marks = new DynamoDbExecutionCheckMarks({ client: h.aws.clients.dynamodb, tableName: h.aws.tables.tasks, retentionDays: 1 });
    const logger = createLogger({ sink: () => {} });
    // Two worker processes, each with its own memory.
    let clock = Date.parse('2026-12-01T20:00:00.000Z');
    const now = () => new Date(clock);
    const workers = [createExecutionWatch({ marks, queue, logger, delaySeconds: 30, now }), createExecutionWatch({ marks, queue, logger, delaySeconds: 30, now })];
    await Promise.all(Array.from({ length: 20 }, (_, i) => workers[i % 2]!.schedule('d-20261201T200000000Z-0123456789ab')));
    assert.deepEqual(sent, ['d-20261201T200000000Z-0123456789ab']);
    // The check runs when its delay is over and takes the mark away before it reads: the next
    // finishing task, in either process, schedules again.
    clock += 30_000;
    await workers[1]!.checking('d-20261201T200000000Z-0123456789ab');
    await workers[0]!.schedule('d-20261201T200000000Z-0123456789ab');
    assert.equal(sent.length, 2);
    const marksLeft = await h.aws.clients.dynamodb.send(new ScanCommand({ TableName: h.aws.tables.tasks, FilterExpression: 'begins_with(pk, :p)', ExpressionAttributeValues: { ':p': { S: 'NOTIFYCHECK#d-20261201T200000000Z' } } }));
    assert.equal(marksLeft.Count, 1);
  });
});
