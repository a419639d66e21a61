import assert from 'node:assert/strict';
import { getEventListeners } from 'node:events';
import { after, before, describe, test } from 'node:test';
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import { silentLogger } from '../../../shared/log.ts';
import { startPoller } from '../../../infra/local/poller.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

let aws: LocalAws;

async function until<T>(what: string, probe: () => T | undefined, ms = 20_000): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

describe('the local poller', () => {
  before(async () => {
    aws = await startLocalAws();
  });
  after(() => aws?.close());

  test('what a batch leaves listening on its signal does not outlive the batch, and stop still interrupts', async () => {
    // undici keeps an abort listener for every request whose body is never read (each HEAD):
    // on one signal shared by every batch, those piled up, holding each task's state (issue 8).
    const signals: AbortSignal[] = [];
    let release: (() => void) | undefined;
    const poller = startPoller({
      sqs: aws.clients.sqs,
      queueUrl: aws.queueUrl,
      concurrency: 1,
      batchSize: 1,
      visibilityTimeoutSeconds: 30,
      logger: silentLogger,
      handler: async (event, _context, signal) => {
        signals.push(signal!);
        signal!.addEventListener('abort', () => {});
        if ((event as { Records: { body: string }[] }).Records[0]!.body === 'hold') {
          await new Promise<void>((resolve) => {
            release = resolve;
            signal!.addEventListener('abort', () => resolve(), { once: true });
          });
        }
        return { batchItemFailures: [] };
      },
    });
    try {
      for (let i = 0; i < 12; i++) {
        await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: `m${i}` }));
        poller.wake();
        await until(`batch ${i}`, () => (signals.length > i ? true : undefined));
      }
      assert.equal(new Set(signals).size, 12, 'one signal per batch');
      for (const signal of signals) assert.equal(getEventListeners(signal, 'abort').length, 1);

      await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: 'hold' }));
      poller.wake();
      const held = await until('the held batch', () => signals[12]);
      await poller.stop(50);
      assert.equal(held.aborted, true, 'stop past its grace interrupts the batch in flight');
    } finally {
      release?.();
      await poller.stop(0);
    }
  });

  test('with invocationSeconds, each batch\'s context counts down from that limit as Lambda\'s timeout would', async () => {
    const remaining: number[] = [];
    const poller = startPoller({
      sqs: aws.clients.sqs,
      queueUrl: aws.queueUrl,
      concurrency: 1,
      batchSize: 1,
      visibilityTimeoutSeconds: 30,
      invocationSeconds: 2,
      logger: silentLogger,
      handler: async (_event, context) => {
        remaining.push(context.getRemainingTimeInMillis());
        await new Promise((r) => setTimeout(r, 300));
        remaining.push(context.getRemainingTimeInMillis());
        return { batchItemFailures: [] };
      },
    });
    try {
      await aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: aws.queueUrl, MessageBody: 'limited' }));
      poller.wake();
      await until('the batch', () => (remaining.length >= 2 ? true : undefined));
      const [first, second] = remaining as [number, number];
      assert.ok(first <= 2000 && first > 1000, `remaining at the start: ${first}`);
      assert.ok(second <= first - 300, `remaining after 300 ms: ${second} (from ${first})`);
    } finally {
      await poller.stop(0);
    }
  });
});
