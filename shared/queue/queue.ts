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
 * One bounded step of a subscription run (shared/intake/subscription-expansion.ts): one page of
 * the source repository's tag list, or the choice and planning of the newest tags once every
 * page is read. The candidates kept so far travel with the step (at most 500 tags of at most 128
 * characters: far within SQS's 256 KiB), with the count of matching tags seen.
 */
export const SubscriptionStep = z.discriminatedUnion('kind', [
  z.strictObject({ kind: z.literal('tags'), page: z.number().int().nonnegative(), path: z.string().startsWith('/v2/'), considered: z.number().int().nonnegative(), candidates: z.array(z.string()).max(1000) }),
  z.strictObject({ kind: z.literal('plan'), considered: z.number().int().nonnegative(), candidates: z.array(z.string()).max(1000) }),
]);
export type SubscriptionStep = z.infer<typeof SubscriptionStep>;

export const SubscriptionStepMessage = z.strictObject({
  subscriptionRun: z.strictObject({ executionId: z.string().min(1), subscriptionId: z.string().min(1), step: SubscriptionStep }),
});
export type SubscriptionStepMessage = z.infer<typeof SubscriptionStepMessage>;

/** Any listing step: of a rule run or of a subscription run. */
export type ListingMessage = ExpansionMessage | SubscriptionStepMessage;

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
  sendExpansion?(messages: ListingMessage[]): Promise<void>;
  /** Sends one execution check, hidden for `delaySeconds` (0-900); rejects when it was not sent. */
  sendExecutionCheck?(message: ExecutionCheckMessage, delaySeconds: number): Promise<void>;
  /**
   * Hides a received message for `seconds` from now (ChangeMessageVisibility): a retry after a
   * backoff instead of after the whole visibility timeout. Optional: a queue without it (a test's
   * stand-in) leaves the message to its visibility timeout.
   */
  delay?(receiptHandle: string, seconds: number): Promise<void>;
}
