/**
 * A worker instance polling the queue the way a Lambda fleet does: each message is handed to the
 * worker as soon as it arrives (up to `capacity` at once), acknowledged when the worker says so,
 * otherwise left to come back. Several instances on one queue and table are several workers.
 */
import { DeleteMessageCommand, ReceiveMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { QueueRecord, WorkerInvocation } from '../../shared/tasks/worker.ts';

export interface PollingWorker {
  /** Messages this instance handed to its worker. */
  readonly received: number;
  stop(): Promise<void>;
}

export function startPollingWorker(sqs: SQSClient, queueUrl: string, worker: (records: QueueRecord[], invocation: WorkerInvocation) => Promise<string[]>, capacity: number): PollingWorker {
  let stopped = false;
  let received = 0;
  const inFlight = new Set<Promise<void>>();
  const loop = (async () => {
    while (!stopped) {
      const room = capacity - inFlight.size;
      const messages = room > 0
        ? (await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: Math.min(10, room), WaitTimeSeconds: 0, AttributeNames: ['All'] }))).Messages ?? []
        : [];
      if (messages.length === 0) {
        await new Promise((resolve) => setTimeout(resolve, 50));
        continue;
      }
      for (const message of messages) {
        received++;
        const record = { messageId: message.MessageId!, receiptHandle: message.ReceiptHandle!, body: message.Body!, receiveCount: Number(message.Attributes?.ApproximateReceiveCount ?? '1') };
        const work: Promise<void> = worker([record], { deadline: Date.now() + 120_000 }).then(async (failed) => {
          if (failed.length === 0) await sqs.send(new DeleteMessageCommand({ QueueUrl: queueUrl, ReceiptHandle: record.receiptHandle }));
        }).finally(() => inFlight.delete(work));
        inFlight.add(work);
      }
    }
  })();
  return {
    get received() {
      return received;
    },
    async stop() {
      stopped = true;
      await loop;
      await Promise.allSettled([...inFlight]);
    },
  };
}
