/** The work queue between producers (webhook, API, schedules) and the worker; `SqsQueue` is the adapter. */
import { z } from 'zod';

/**
 * `generation` is the task's generation when the message was sent (absent: 0, messages sent
 * before it existed). A FAILED task runs again only for a message of its current generation that
 * went through the dead-letter queue: a redrive; any other message for it is a duplicate.
 */
export const TaskMessage = z.strictObject({
  taskId: z.string().regex(/^[0-9a-f]{32}$/),
  generation: z.number().int().nonnegative().optional(),
  /** The task's not-before time (a delete's safety delay): sent delayed, re-hidden when received early. */
  notBefore: z.string().datetime({ offset: true }).optional(),
});
export type TaskMessage = z.infer<typeof TaskMessage>;

export interface SendOptions {
  /** Hidden for this long after sending (SQS DelaySeconds, 0-900): a queued task asking again later. */
  delaySeconds?: number;
}

export interface Queue {
  /** Sends messages; resolves with the task ids whose message could not be sent. */
  send(messages: TaskMessage[], options?: SendOptions): Promise<{ failed: string[] }>;
  /**
   * Hides a received message for `seconds` from now (ChangeMessageVisibility): a retry after a
   * backoff instead of after the whole visibility timeout. Optional: a queue without it (a test's
   * stand-in) leaves the message to its visibility timeout.
   */
  delay?(receiptHandle: string, seconds: number): Promise<void>;
}
