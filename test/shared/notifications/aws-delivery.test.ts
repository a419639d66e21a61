/**
 * SNS and EventBridge targets. No AWS is reachable here and no real SNS or EventBridge runs on
 * one machine, so the real AWS SDK talks to a SCRIPTED stand-in for both APIs on loopback
 * (test/support/aws-notification-apis.ts), with explicit endpoint and credentials; the tests
 * check the requests as the SDK sent them.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { createLogger } from '../../../shared/log.ts';
import { createAwsDelivery } from '../../../shared/notifications/aws-delivery.ts';
import { createNotificationDelivery } from '../../../shared/notifications/delivery.ts';
import { MemoryNotificationLedger } from '../../../shared/notifications/ledger.ts';
import { createNotifier } from '../../../shared/notifications/notifier.ts';
import { NotificationsConfig } from '../../../shared/notifications/target.ts';
import { createWebhookDelivery } from '../../../shared/notifications/webhook-delivery.ts';
import { startAwsNotificationApis, type AwsNotificationApis } from '../../support/aws-notification-apis.ts';

const TOPIC = 'arn:aws:sns:eu-west-1:123456789012:crossdock-notifications';
const BUS = 'arn:aws:events:eu-west-1:123456789012:event-bus/ops';
const CREDENTIALS = { accessKeyId: 'AKIDNOTIFYTEST', secretAccessKey: 'notify-test-secret' };
const rollup = { id: 'r-20261201T100000000Z-0123456789ab', ruleId: 'rule-1', counts: { SUCCEEDED: 3, FAILED: 1 }, bytes: 9_000, startedAt: '2026-12-01T10:00:00.000Z', finishedAt: '2026-12-01T10:02:00.000Z' };

let apis: AwsNotificationApis;
const sleeps: number[] = [];
const aws = () => createAwsDelivery({
  region: 'eu-west-1',
  client: { endpoint: apis.endpoint, credentials: CREDENTIALS },
  policy: { attempts: 3, baseMs: 100, maxMs: 1_000, timeoutMs: 5_000 },
  sleep: async (ms) => void sleeps.push(ms),
  random: () => 0,
});

describe('SNS and EventBridge notification targets (scripted AWS APIs on loopback)', () => {
  before(async () => {
    apis = await startAwsNotificationApis();
  });
  after(async () => {
    await apis.close();
  });
  beforeEach(() => {
    apis.calls.length = 0;
    sleeps.length = 0;
  });

  test('the declarations: a topic ARN; a bus by name or ARN with source and detail-type; every problem named', () => {
    const parsed = NotificationsConfig.parse({ targets: { topic: { kind: 'sns', topicArn: TOPIC }, bus: { kind: 'eventbridge', eventBus: 'default' } } });
    assert.deepEqual(parsed.targets.bus, { kind: 'eventbridge', eventBus: 'default', source: 'crossdock' });
    const bad = NotificationsConfig.safeParse({ targets: { topic: { kind: 'sns', topicArn: 'arn:aws:sqs:eu-west-1:123456789012:q' }, bus: { kind: 'eventbridge', eventBus: BUS, source: 'aws.crossdock' }, extra: { kind: 'sns', topicArn: TOPIC, secret: 'x' } } });
    const messages = bad.error!.issues.map((i) => `${i.path.join('.')}: ${i.message}`);
    assert.ok(messages.some((m) => m.startsWith('targets.topic.topicArn: an SNS topic ARN')), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('targets.bus.source: must not start with "aws."')), messages.join('\n'));
    assert.ok(messages.some((m) => m.startsWith('targets.extra') && /secret/.test(m)), messages.join('\n'));
  });

  test('SNS: the SDK publishes the body as sent, to the topic, with the event as an attribute; a 500 is retried with backoff', async () => {
    const delivery = aws();
    apis.failNext({ status: 500, code: 'InternalError' });
    const body = JSON.stringify({ id: 'task:abc:0', event: 'task.failed' });
    const attempts = await delivery.deliver({ kind: 'sns', topicArn: TOPIC }, body, { 'x-crossdock-event': 'task.failed', 'x-crossdock-notification-id': 'task:abc:0' });
    delivery.close();
    assert.equal(attempts, 2);
    assert.deepEqual(sleeps, [50]);
    assert.equal(apis.calls.length, 2);
    const call = apis.calls[1]!;
    assert.equal(call.service, 'sns');
    assert.equal(call.action, 'Publish');
    assert.equal(call.params.TopicArn, TOPIC);
    assert.equal(call.params.Message, body);
    assert.equal(call.params['MessageAttributes.entry.1.Name'], 'event');
    assert.equal(call.params['MessageAttributes.entry.1.Value.StringValue'], 'task.failed');
    assert.match(call.authorization, /Credential=AKIDNOTIFYTEST\/\d{8}\/eu-west-1\/sns\/aws4_request/);
  });

  test('SNS: a refusal (403 AuthorizationError) is not retried and fails the delivery with NOTIFICATION_FAILED', async () => {
    const delivery = aws();
    apis.failNext({ status: 403, code: 'AuthorizationError' });
    await assert.rejects(delivery.deliver({ kind: 'sns', topicArn: TOPIC }, '{}'), (error: Error & { code?: string; retryable?: boolean }) => {
      assert.equal(error.code, 'NOTIFICATION_FAILED');
      assert.equal(error.retryable, false);
      assert.match(error.message, /SNS Publish arn:aws:sns:eu-west-1:123456789012:crossdock-notifications: answered 403 AuthorizationError/);
      return true;
    });
    delivery.close();
    assert.equal(apis.calls.length, 1);
  });

  test('EventBridge: PutEvents on the bus with source and detail-type, the body as detail; an entry throttled is retried', async () => {
    const delivery = aws();
    apis.failNext({ entryError: 'ThrottlingException' });
    const body = JSON.stringify({ id: 'execution:x', event: 'execution.finished' });
    const attempts = await delivery.deliver({ kind: 'eventbridge', eventBus: BUS, source: 'crossdock.prod' }, body, { 'x-crossdock-event': 'execution.finished' });
    assert.equal(attempts, 2);
    const call = apis.calls[1]!;
    assert.equal(call.service, 'events');
    assert.equal(call.action, 'PutEvents');
    assert.deepEqual(call.params.Entries, [{ EventBusName: BUS, Source: 'crossdock.prod', DetailType: 'execution.finished', Detail: body }]);
    assert.match(call.authorization, /\/eu-west-1\/events\/aws4_request/);

    apis.failNext({ entryError: 'AccessDeniedException' });
    await assert.rejects(delivery.deliver({ kind: 'eventbridge', eventBus: 'default', source: 'crossdock', detailType: 'crossdock notification' }, body), /EventBridge PutEvents default: event not put: AccessDeniedException/);
    assert.deepEqual(apis.calls.at(-1)!.params.Entries, [{ EventBusName: 'default', Source: 'crossdock', DetailType: 'crossdock notification', Detail: body }]);
    assert.equal(apis.calls.length, 3, 'a refused entry is not retried');
    delivery.close();
  });

  test('through the notifier: an execution-finished notification reaches the topic and the bus once each, with no secret', async () => {
    const webhook = createWebhookDelivery();
    const delivery = createNotificationDelivery({ webhook, aws: aws() });
    const config = NotificationsConfig.parse({
      targets: { topic: { kind: 'sns', topicArn: TOPIC }, bus: { kind: 'eventbridge', eventBus: BUS } },
      global: [{ on: 'execution', targets: ['topic', 'bus'] }],
    });
    const notifier = createNotifier({ config, rulePolicies: async () => [], ledger: new MemoryNotificationLedger(), delivery, logger: createLogger({ sink: () => {} }) });
    await notifier.executionFinished(rollup);
    await notifier.executionFinished(rollup);
    await delivery.close();
    assert.deepEqual(apis.calls.map((c) => c.action).sort(), ['Publish', 'PutEvents']);
    const published = JSON.parse(String(apis.calls.find((c) => c.action === 'Publish')!.params.Message));
    assert.equal(published.event, 'execution.finished');
    assert.deepEqual(published.execution.counts, { SUCCEEDED: 3, FAILED: 1 });
    const put = (apis.calls.find((c) => c.action === 'PutEvents')!.params.Entries as Array<Record<string, string>>)[0]!;
    assert.equal(put.DetailType, 'execution.finished');
    assert.deepEqual(JSON.parse(put.Detail!), published);
    assert.equal(JSON.stringify(apis.calls).includes(CREDENTIALS.secretAccessKey), false);
  });
});
