/** The task queue on SQS: SendMessageBatch, ten messages a call (the API's limit). */
import { ChangeMessageVisibilityCommand, SendMessageBatchCommand, SendMessageCommand, type SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../log.ts';
import { CrossdockError } from '../errors.ts';
import type { ExecutionCheckMessage, ListingMessage, Queue, SendOptions, TaskMessage } from './queue.ts';

export const SQS_BATCH_LIMIT = 10;
/** SQS delays a message at most 15 minutes; a later not-before is kept by re-hiding it (worker). */
export const MAX_DELAY_SECONDS = 900;

function delaySeconds(message: TaskMessage, now = Date.now()): { DelaySeconds?: number } {
  if (message.notBefore === undefined) return {};
  const seconds = Math.ceil((Date.parse(message.notBefore) - now) / 1000);
  return seconds > 0 ? { DelaySeconds: Math.min(MAX_DELAY_SECONDS, seconds) } : {};
}
const MAX_VISIBILITY_SECONDS = 43_200;

export class SqsQueue implements Queue {
  constructor(private readonly client: SQSClient, private readonly queueUrl: string, private readonly logger: Logger) {}

  async send(messages: TaskMessage[], options: SendOptions = {}): Promise<{ failed: string[] }> {
    const failed: string[] = [];
    const batches: TaskMessage[][] = [];
    for (let i = 0; i < messages.length; i += SQS_BATCH_LIMIT) batches.push(messages.slice(i, i + SQS_BATCH_LIMIT));
    await Promise.all(batches.map(async (batch) => {
      try {
        const response = await this.client.send(new SendMessageBatchCommand({
          QueueUrl: this.queueUrl,
          Entries: batch.map((message, i) => ({ Id: String(i), MessageBody: JSON.stringify(message), ...(options.delaySeconds ? { DelaySeconds: Math.min(MAX_DELAY_SECONDS, Math.ceil(options.delaySeconds)) } : delaySeconds(message)) })),
        }));
        for (const entry of response.Failed ?? []) {
          const message = batch[Number(entry.Id)];
          if (message) failed.push(message.taskId);
          this.logger.warn('message not sent', { task_id: message?.taskId, code: entry.Code, error: entry.Message });
        }
      } catch (error) {
        // The tasks stay PENDING without enqueuedAt: the sweep sends them again.
        failed.push(...batch.map((m) => m.taskId));
        this.logger.error('message batch not sent', { count: batch.length, error: (error as Error).message });
      }
    }));
    return { failed };
  }

  async sendExpansion(messages: ListingMessage[]): Promise<void> {
    let failed = 0;
    for (let i = 0; i < messages.length; i += SQS_BATCH_LIMIT) {
      const batch = messages.slice(i, i + SQS_BATCH_LIMIT);
      const response = await this.client.send(new SendMessageBatchCommand({
        QueueUrl: this.queueUrl,
        Entries: batch.map((message, j) => ({ Id: String(j), MessageBody: JSON.stringify(message) })),
      }));
      failed += response.Failed?.length ?? 0;
    }
    if (failed > 0) throw new CrossdockError('QUEUE_SEND_FAILED', `${failed} of ${messages.length} listing steps not sent`, { retryable: true });
  }

  async sendExecutionCheck(message: ExecutionCheckMessage, delaySeconds: number): Promise<void> {
    const delay = Math.max(0, Math.min(MAX_DELAY_SECONDS, Math.ceil(delaySeconds)));
    await this.client.send(new SendMessageCommand({ QueueUrl: this.queueUrl, MessageBody: JSON.stringify(message), ...(delay > 0 ? { DelaySeconds: delay } : {}) }));
  }

  async delay(receiptHandle: string, seconds: number): Promise<void> {
    // SQS caps a message's visibility at 12 hours from its first receive.
    const timeout = Math.max(0, Math.min(MAX_VISIBILITY_SECONDS, Math.ceil(seconds)));
    await this.client.send(new ChangeMessageVisibilityCommand({ QueueUrl: this.queueUrl, ReceiptHandle: receiptHandle, VisibilityTimeout: timeout }));
  }
}
