/**
 * Lambda's SQS event source mapping, on one machine: long-polls the queue, hands each batch to
 * the worker handler as a Lambda-shaped SQS event, deletes what succeeded and leaves the batch
 * item failures to come back after the visibility timeout (then to the DLQ, by the redrive
 * policy). `concurrency` batches run at once.
 */
import { DeleteMessageBatchCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../shared/log.ts';
import type { LambdaContext, SqsBatchResponse } from '../../functions/worker/sqs-handler.ts';

export interface PollerOptions {
  sqs: SQSClient;
  queueUrl: string;
  handler: (event: unknown, context: LambdaContext, signal?: AbortSignal) => Promise<SqsBatchResponse>;
  concurrency: number;
  batchSize: number;
  visibilityTimeoutSeconds: number;
  /** Each batch's time limit, as Lambda's function timeout (default: the visibility timeout less a margin). */
  invocationSeconds?: number;
  logger: Logger;
}

/**
 * local-aws-sqs answers a long poll only once it holds a full batch, so the poller asks without
 * waiting and sleeps between empty answers, woken early when this process queues work.
 */
const IDLE_SLEEP_MS = 1000;
/** Kept back from the visibility timeout, as Lambda keeps its timeout below the queue's. */
const DEADLINE_MARGIN_MS = 10_000;

export interface Poller {
  /** Work was just queued: look now instead of at the end of the idle sleep. */
  wake(): void;
  /** Stops receiving; resolves when the batches in flight are done, or at `graceMs`, after interrupting them. */
  stop(graceMs: number): Promise<void>;
}

export function startPoller(options: PollerOptions): Poller {
  let running = true;
  const interrupt = new AbortController();
  const loops: Promise<void>[] = [];
  let wakers: Array<() => void> = [];
  const idle = () => new Promise<void>((resolve) => {
    const timer = setTimeout(done, IDLE_SLEEP_MS);
    function done() {
      clearTimeout(timer);
      wakers = wakers.filter((w) => w !== done);
      resolve();
    }
    wakers.push(done);
  });
  const wakeAll = () => {
    for (const waker of [...wakers]) waker();
  };

  const loop = async (n: number) => {
    while (running) {
      let messages;
      try {
        const response = await options.sqs.send(new ReceiveMessageCommand({
          QueueUrl: options.queueUrl,
          MaxNumberOfMessages: options.batchSize,
          WaitTimeSeconds: 0,
          VisibilityTimeout: options.visibilityTimeoutSeconds,
          AttributeNames: ['All'],
        }));
        messages = response.Messages ?? [];
      } catch (error) {
        if (!running) return;
        options.logger.error('queue receive failed', { poller: n, error: (error as Error).message });
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (messages.length === 0) {
        await idle();
        continue;
      }
      // Stopping: take no new work; the messages come back after their visibility timeout (and,
      // on the embedded queue, the next start re-sends every unfinished task).
      if (!running) return;
      const received = Date.now();
      const event = {
        Records: messages.map((m) => ({
          messageId: m.MessageId!,
          receiptHandle: m.ReceiptHandle!,
          body: m.Body ?? '',
          attributes: { ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1', SentTimestamp: m.Attributes?.SentTimestamp ?? String(received) },
          messageAttributes: {},
          md5OfBody: m.MD5OfBody ?? '',
          eventSource: 'aws:sqs',
          eventSourceARN: options.queueUrl,
          awsRegion: 'local',
        })),
      };
      const limitMs = Math.min(options.visibilityTimeoutSeconds * 1000 - DEADLINE_MARGIN_MS, (options.invocationSeconds ?? Infinity) * 1000);
      const context: LambdaContext = { getRemainingTimeInMillis: () => limitMs - (Date.now() - received) };
      // Each batch gets its own signal, linked to the process-wide one only while it runs: what a
      // batch leaves listening on its signal (undici keeps a listener per request whose body is
      // never read, every HEAD) then goes with the batch instead of piling up on the long-lived
      // signal (issue 8). Not the main cause of the runtime's memory growth: see bench:memory.
      const batch = new AbortController();
      const interruptBatch = () => batch.abort(interrupt.signal.reason);
      interrupt.signal.addEventListener('abort', interruptBatch, { once: true });
      let failures: Set<string>;
      try {
        const response = await options.handler(event, context, batch.signal);
        failures = new Set(response.batchItemFailures.map((f) => f.itemIdentifier));
      } catch (error) {
        // Lambda's rule: a handler that throws fails the whole batch.
        options.logger.error('worker batch failed', { poller: n, error: (error as Error).message });
        failures = new Set(messages.map((m) => m.MessageId!));
      } finally {
        interrupt.signal.removeEventListener('abort', interruptBatch);
      }
      const done = messages.filter((m) => !failures.has(m.MessageId!));
      if (done.length > 0) {
        await options.sqs.send(new DeleteMessageBatchCommand({ QueueUrl: options.queueUrl, Entries: done.map((m, i) => ({ Id: String(i), ReceiptHandle: m.ReceiptHandle! })) }))
          .catch((error: unknown) => options.logger.error('queue delete failed', { poller: n, error: (error as Error).message }));
      }
    }
  };

  for (let n = 0; n < options.concurrency; n++) loops.push(loop(n));

  return {
    wake: wakeAll,
    async stop(graceMs) {
      running = false;
      wakeAll();
      const all = Promise.all(loops);
      let timer: NodeJS.Timeout | undefined;
      const expired = new Promise<'expired'>((r) => {
        timer = setTimeout(() => r('expired'), graceMs);
      });
      if ((await Promise.race([all.then(() => 'done' as const), expired])) === 'expired') {
        options.logger.warn('shutdown grace over: interrupting copies', { grace_ms: graceMs });
        interrupt.abort();
        await all;
      }
      clearTimeout(timer);
    },
  };
}
