/**
 * The queue's consumer: task messages go to the worker, listing steps of rule runs to the
 * expansion, those of subscription runs to the subscription expansion, execution checks
 * (notifications of finished executions) to their handler. One queue and one function carry them
 * all, so a listing step or a check is handled with the same scaling, retries (batch item
 * failures) and dead-letter queue as a copy.
 */
import type { Logger } from '../log.ts';
import { ExecutionCheckMessage, ExpansionMessage, SubscriptionStepMessage } from '../queue/queue.ts';
import type { createWorker, QueueRecord, WorkerInvocation } from '../tasks/worker.ts';
import { expandStep, type ExpansionDeps } from './rule-expansion.ts';
import { subscriptionStep, type SubscriptionStepDeps } from './subscription-expansion.ts';

type Worker = ReturnType<typeof createWorker>;

/** Handles an execution check (shared/notifications/execution-check.ts); absent, checks are dropped. */
export type ExecutionCheckHandler = (executionId: string) => Promise<unknown>;

export function createConsumer(worker: Worker, expansion: ExpansionDeps & SubscriptionStepDeps & { logger: Logger }, checkExecution?: ExecutionCheckHandler): Worker {
  return async function consume(records: QueueRecord[], invocation: WorkerInvocation): Promise<string[]> {
    const steps: Array<{ record: QueueRecord; message: ExpansionMessage | SubscriptionStepMessage }> = [];
    const checks: Array<{ record: QueueRecord; message: ExecutionCheckMessage }> = [];
    const copies: QueueRecord[] = [];
    for (const record of records) {
      const body = safeJson(record.body);
      const step = ExpansionMessage.safeParse(body);
      const subscription = step.success ? undefined : SubscriptionStepMessage.safeParse(body);
      const check = step.success || subscription?.success ? undefined : ExecutionCheckMessage.safeParse(body);
      if (step.success) steps.push({ record, message: step.data });
      else if (subscription?.success) steps.push({ record, message: subscription.data });
      else if (check?.success) checks.push({ record, message: check.data });
      else copies.push(record);
    }
    const failedChecks = Promise.all(checks.map(async ({ record, message }) => {
      const executionId = message.checkExecution.executionId;
      if (!checkExecution) {
        // Notifications were turned off since the check was sent: nothing to tell anyone.
        expansion.logger.info('execution check dropped: no notifications', { execution_id: executionId });
        return undefined;
      }
      try {
        await checkExecution(executionId);
        return undefined;
      } catch (error) {
        expansion.logger.warn('execution check retried', { message_id: record.messageId, execution_id: executionId, error: (error as Error).message });
        return record.messageId;
      }
    }));
    const [failedCopies, failedSteps] = await Promise.all([
      copies.length > 0 ? worker(copies, invocation) : Promise.resolve([]),
      Promise.all(steps.map(async ({ record, message }) => {
        try {
          const options = { deadline: invocation.deadline, ...(invocation.signal ? { signal: invocation.signal } : {}) };
          if ('expand' in message) await expandStep(message.expand, record.receiveCount, expansion, options);
          else await subscriptionStep(message.subscriptionRun, record.receiveCount, expansion, options);
          return undefined;
        } catch (error) {
          expansion.logger.warn('listing step retried', { message_id: record.messageId, error: (error as Error).message });
          return record.messageId;
        }
      })),
    ]);
    return [...failedCopies, ...[...failedSteps, ...(await failedChecks)].filter((id): id is string => id !== undefined)];
  };
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
