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

/**
 * One bounded step of listing a rule run's work (shared/intake/rule-expansion.ts): one page of
 * the source's catalog, or one repository's tags. Steps are idempotent under redelivery.
 */
export const ExpansionStep = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('catalog'), page: z.number().int().nonnegative(), path: z.string().startsWith('/v2/_catalog') }),
  z.strictObject({ kind: z.literal('repository'), repository: z.string().min(1) }),
]);
export type ExpansionStep = z.infer<typeof ExpansionStep>;

export const ExpansionMessage = z.strictObject({
  expand: z.strictObject({ executionId: z.string().min(1), ruleId: z.string().min(1), step: ExpansionStep }),
});
export type ExpansionMessage = z.infer<typeof ExpansionMessage>;

/**
 * A look at whether an execution has finished, sent delayed when one of its tasks finishes and a
 * notification target asks to hear of finished executions (shared/notifications/execution-watch.ts).
 */
export const ExecutionCheckMessage = z.strictObject({
  checkExecution: z.strictObject({ executionId: z.string().min(1).max(200) }),
});
export type ExecutionCheckMessage = z.infer<typeof ExecutionCheckMessage>;

export interface Queue {
  /** Sends messages; resolves with the task ids whose message could not be sent. */
  send(messages: TaskMessage[], options?: SendOptions): Promise<{ failed: string[] }>;
  /** Sends listing steps; rejects (retryable) when any could not be sent. */
  sendExpansion?(messages: ExpansionMessage[]): Promise<void>;
  /** Sends one execution check, hidden for `delaySeconds` (0-900); rejects when it was not sent. */
  sendExecutionCheck?(message: ExecutionCheckMessage, delaySeconds: number): Promise<void>;
  /**
   * Hides a received message for `seconds` from now (ChangeMessageVisibility): a retry after a
   * backoff instead of after the whole visibility timeout. Optional: a queue without it (a test's
   * stand-in) leaves the message to its visibility timeout.
   */
  delay?(receiptHandle: string, seconds: number): Promise<void>;
}
