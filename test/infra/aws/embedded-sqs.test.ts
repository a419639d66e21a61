import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  ChangeMessageVisibilityBatchCommand,
  ChangeMessageVisibilityCommand,
  DeleteMessageBatchCommand,
  GetQueueAttributesCommand,
  ReceiveMessageCommand,
  SendMessageBatchCommand,
  SendMessageCommand,
  type Message,
} from '@aws-sdk/client-sqs';
import { ensureQueues, type ProvisionedQueues, type QueueOptions } from '../../../infra/aws/provision.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

// Short enough that redelivery and redrive happen within a test, long enough for a request.
const VISIBILITY_TIMEOUT_S = 1;
const MAX_RECEIVE_COUNT = 2;

describe('SQS on local-aws-sqs', () => {
  let aws: LocalAws;
  let queueCount = 0;

  before(async () => {
    aws = await startLocalAws({ visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_S, maxReceiveCount: MAX_RECEIVE_COUNT });
  });

  after(async () => {
    await aws?.close();
  });

  /** A queue + DLQ pair of its own, so that no test sees another's messages. */
  function freshQueues(options: Partial<QueueOptions> = {}): Promise<ProvisionedQueues> {
    queueCount += 1;
    return ensureQueues(aws.clients.sqs, `${aws.prefix}-${queueCount}`, {
      visibilityTimeoutSeconds: options.visibilityTimeoutSeconds ?? VISIBILITY_TIMEOUT_S,
      maxReceiveCount: options.maxReceiveCount ?? MAX_RECEIVE_COUNT,
    });
  }

  async function receive(queueUrl: string, options: { max?: number; waitSeconds?: number } = {}): Promise<Message[]> {
    const { Messages: messages } = await aws.clients.sqs.send(new ReceiveMessageCommand({
      QueueUrl: queueUrl,
      MaxNumberOfMessages: options.max ?? 1,
      WaitTimeSeconds: options.waitSeconds ?? 0,
      // local-aws-sqs reads only the deprecated AttributeNames (AWS still accepts it, with 'All'
      // meaning every message system attribute) and ignores MessageSystemAttributeNames.
      AttributeNames: ['All'],
    }));
    return messages ?? [];
  }

  async function depth(queueUrl: string): Promise<{ visible: string; inFlight: string }> {
    const { Attributes: attributes } = await aws.clients.sqs.send(new GetQueueAttributesCommand({
      QueueUrl: queueUrl,
      AttributeNames: ['ApproximateNumberOfMessages', 'ApproximateNumberOfMessagesNotVisible'],
    }));
    return {
      visible: attributes?.ApproximateNumberOfMessages ?? '?',
      inFlight: attributes?.ApproximateNumberOfMessagesNotVisible ?? '?',
    };
  }

  it('SendMessageBatch of 10, ReceiveMessage of up to 10 with a wait, DeleteMessageBatch of 10 empties the queue', async () => {
    const entries = Array.from({ length: 10 }, (_, i) => ({ Id: `m${i}`, MessageBody: JSON.stringify({ n: i }) }));

    const sent = await aws.clients.sqs.send(new SendMessageBatchCommand({ QueueUrl: aws.queueUrl, Entries: entries }));
    const received: Message[] = [];
    for (let round = 0; round < 5 && received.length < 10; round++) {
      received.push(...await receive(aws.queueUrl, { max: 10, waitSeconds: 1 }));
    }
    const deleted = await aws.clients.sqs.send(new DeleteMessageBatchCommand({
      QueueUrl: aws.queueUrl,
      Entries: received.map((message, i) => ({ Id: `d${i}`, ReceiptHandle: message.ReceiptHandle })),
    }));

    assert.equal(sent.Successful?.length, 10);
    assert.deepEqual(sent.Failed ?? [], []);
    assert.deepEqual(received.map((message) => message.Body).sort(), entries.map((entry) => entry.MessageBody).sort());
    assert.equal(deleted.Successful?.length, 10);
    assert.deepEqual(deleted.Failed ?? [], []);
    assert.deepEqual(await depth(aws.queueUrl), { visible: '0', inFlight: '0' });
  });

  it('a long poll answers with a message sent while it waits', async () => {
    const { queueUrl } = await freshQueues();
    const started = Date.now();

    const polling = receive(queueUrl, { max: 1, waitSeconds: 5 });
    await sleep(300);
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'late' }));
    const messages = await polling;

    assert.deepEqual(messages.map((message) => message.Body), ['late']);
    assert.ok(Date.now() - started < 4_000, `long poll took ${Date.now() - started} ms`);
  });

  it('a long poll for more messages than are queued waits out WaitTimeSeconds (real SQS answers early)', async () => {
    // A visibility timeout shorter than the wait would let local-aws-sqs put the same message
    // into the answer twice: it re-scans the queue until the wait ends.
    const { queueUrl } = await freshQueues({ visibilityTimeoutSeconds: 30 });
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'alone' }));
    const started = Date.now();

    const messages = await receive(queueUrl, { max: 10, waitSeconds: 1 });

    assert.deepEqual(messages.map((message) => message.Body), ['alone']);
    assert.ok(Date.now() - started >= 900, `answered after ${Date.now() - started} ms`);
  });

  it('ChangeMessageVisibility to 0 redelivers at once; a longer timeout hides the message past the queue default', async () => {
    const { queueUrl } = await freshQueues({ maxReceiveCount: 5 });
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'retry-me' }));

    const [first] = await receive(queueUrl);
    await aws.clients.sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0,
    }));
    const [second] = await receive(queueUrl);
    await aws.clients.sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl, ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: 4,
    }));
    await sleep(VISIBILITY_TIMEOUT_S * 1_000 + 500);
    const hidden = await receive(queueUrl);

    assert.equal(first?.Body, 'retry-me');
    assert.equal(second?.Body, 'retry-me');
    assert.equal(second?.MessageId, first?.MessageId);
    assert.deepEqual(hidden, []);
    // Only the in-flight count: local-aws-sqs counts in-flight messages in ApproximateNumberOfMessages too.
    assert.equal((await depth(queueUrl)).inFlight, '1');
  });

  it('ChangeMessageVisibility is not a receive (as on AWS): the message comes back with its count one higher, and the DLQ only after maxReceiveCount receives', async () => {
    const { queueUrl, dlqUrl } = await freshQueues();
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'changed' }));

    const [first] = await receive(queueUrl);
    await aws.clients.sqs.send(new ChangeMessageVisibilityCommand({
      QueueUrl: queueUrl, ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0,
    }));
    const [second] = await receive(queueUrl, { waitSeconds: 1 });
    // Twice more on the second receive, as a worker backing off in steps would.
    for (const seconds of [30, 0]) {
      await aws.clients.sqs.send(new ChangeMessageVisibilityCommand({
        QueueUrl: queueUrl, ReceiptHandle: second?.ReceiptHandle, VisibilityTimeout: seconds,
      }));
    }
    const third = await receive(queueUrl, { waitSeconds: 1 });
    const dead = await receive(dlqUrl, { waitSeconds: VISIBILITY_TIMEOUT_S + 2 });

    assert.equal(first?.Attributes?.ApproximateReceiveCount, '1');
    assert.equal(second?.Body, 'changed');
    assert.equal(second?.Attributes?.ApproximateReceiveCount, '2');
    // MAX_RECEIVE_COUNT (2) receives done: the next look finds it in the DLQ, not in the queue.
    assert.deepEqual(third, []);
    assert.deepEqual(dead.map((message) => message.Body), ['changed']);
  });

  it('ChangeMessageVisibilityBatch is not a receive either', async () => {
    const { queueUrl } = await freshQueues({ maxReceiveCount: 5 });
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'batched' }));

    const [first] = await receive(queueUrl);
    const changed = await aws.clients.sqs.send(new ChangeMessageVisibilityBatchCommand({
      QueueUrl: queueUrl, Entries: [{ Id: 'a', ReceiptHandle: first?.ReceiptHandle, VisibilityTimeout: 0 }],
    }));
    const [second] = await receive(queueUrl, { waitSeconds: 1 });

    assert.deepEqual(changed.Successful?.map((entry) => entry.Id), ['a']);
    assert.equal(second?.Attributes?.ApproximateReceiveCount, '2');
  });

  it(`a message received ${MAX_RECEIVE_COUNT} times without delete moves to the DLQ`, async () => {
    const { queueUrl, dlqUrl } = await freshQueues();
    await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: 'poison' }));

    const counts: Array<string | undefined> = [];
    for (let i = 0; i < MAX_RECEIVE_COUNT; i++) {
      const [message] = await receive(queueUrl, { waitSeconds: VISIBILITY_TIMEOUT_S + 2 });
      counts.push(message?.Attributes?.ApproximateReceiveCount);
    }
    const dead = await receive(dlqUrl, { waitSeconds: VISIBILITY_TIMEOUT_S + 2 });

    assert.deepEqual(counts, ['1', '2']);
    assert.deepEqual(dead.map((message) => message.Body), ['poison']);
    assert.deepEqual(await receive(queueUrl), []);
    assert.deepEqual(await depth(queueUrl), { visible: '0', inFlight: '0' });
  });

  it('ensureQueues on existing queues keeps their URLs and applies changed options', async () => {
    const prefix = `${aws.prefix}-reapply`;
    const first = await ensureQueues(aws.clients.sqs, prefix, { visibilityTimeoutSeconds: 1, maxReceiveCount: 2 });

    const again = await ensureQueues(aws.clients.sqs, prefix, { visibilityTimeoutSeconds: 7, maxReceiveCount: 4 });

    const { Attributes: queue } = await aws.clients.sqs.send(new GetQueueAttributesCommand({
      QueueUrl: again.queueUrl, AttributeNames: ['VisibilityTimeout', 'RedrivePolicy'],
    }));
    const { Attributes: dlq } = await aws.clients.sqs.send(new GetQueueAttributesCommand({
      QueueUrl: again.dlqUrl, AttributeNames: ['QueueArn'],
    }));
    assert.deepEqual(again, first);
    assert.equal(queue?.VisibilityTimeout, '7');
    assert.deepEqual(JSON.parse(queue?.RedrivePolicy ?? '{}'), { deadLetterTargetArn: dlq?.QueueArn, maxReceiveCount: 4 });
  });
});
