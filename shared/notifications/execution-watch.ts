/**
 * Scheduling the look at whether an execution has finished. Counting an execution's tasks after
 * each of them finishes would read n tasks n times; instead a finishing task (of an execution a
 * target wants to hear about) places a mark and, when it was the one to place it, sends one check
 * delayed by `delaySeconds`. Every task finishing meanwhile finds the mark and sends nothing: at
 * most one check per execution per delay, however many workers finish its tasks at once.
 *
 * A process also remembers when the checks it sent will run: its tasks finishing well before that
 * are seen by that check anyway (their records are written before the check reads), so they skip
 * the mark's write too.
 */
import type { Logger } from '../log.ts';
import type { Queue } from '../queue/queue.ts';
import type { ExecutionCheckMarks } from './execution-check-marks.ts';

export const DEFAULT_CHECK_DELAY_SECONDS = 10;
/** A mark outlives its check's delay by this much: past it, a lost check no longer blocks another. */
const MARK_HOLD_MS = 15 * 60_000;
/** A task finishing this close to its check's run time still places the mark (clock skew, SQS's timing). */
const SKIP_MARGIN_MS = 2_000;
const REMEMBERED = 1_000;

export interface ExecutionWatchDeps {
  marks: ExecutionCheckMarks;
  queue: Pick<Queue, 'sendExecutionCheck'>;
  logger: Logger;
  delaySeconds?: number;
  now?: () => Date;
}

export interface ExecutionWatch {
  /** A task of this execution finished (or its check found it still listing): see that one check follows. */
  schedule(executionId: string): Promise<void>;
  /** The check is about to read the tasks: the next finishing task schedules again. */
  checking(executionId: string): Promise<void>;
}

export function createExecutionWatch(deps: ExecutionWatchDeps): ExecutionWatch {
  const now = deps.now ?? (() => new Date());
  const delayS = deps.delaySeconds ?? DEFAULT_CHECK_DELAY_SECONDS;
  /** Execution id → when the check this process sent becomes visible. */
  const runsAt = new Map<string, number>();

  return {
    async schedule(executionId) {
      const at = now();
      const runAt = runsAt.get(executionId);
      if (runAt !== undefined && at.getTime() < runAt - SKIP_MARGIN_MS) return;
      if (!deps.queue.sendExecutionCheck) {
        deps.logger.warn('execution check not scheduled: the queue cannot send it', { execution_id: executionId });
        return;
      }
      if (!(await deps.marks.arm(executionId, at, new Date(at.getTime() + delayS * 1000 + MARK_HOLD_MS)))) return;
      try {
        await deps.queue.sendExecutionCheck({ checkExecution: { executionId } }, delayS);
      } catch (error) {
        // Unmarked again, so that the next finishing task tries; this one's check is lost.
        await deps.marks.disarm(executionId);
        throw error;
      }
      if (runsAt.size >= REMEMBERED) runsAt.clear();
      runsAt.set(executionId, at.getTime() + delayS * 1000);
      deps.logger.debug('execution check scheduled', { execution_id: executionId, delay_s: delayS });
    },
    async checking(executionId) {
      runsAt.delete(executionId);
      await deps.marks.disarm(executionId);
    },
  };
}
