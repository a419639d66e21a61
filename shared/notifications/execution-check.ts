/**
 * The check an execution's finishing tasks schedule (execution-watch.ts): has the execution
 * finished (listing done; none of its tasks pending, queued, running or waiting for a retry)? If
 * so, its roll-up goes to the notifier, which sends `execution.finished` at most once per target
 * through the ledger, so a duplicate check, or two checks racing, send it once.
 *
 * The mark is removed before the tasks are read: a task finishing after that read schedules a new
 * check. The byTime index the tasks are read from may lag the table for a moment, so the tasks it
 * still shows unfinished are read again, consistently, from the table; when there are too many
 * for that, the execution is far from done and the check is simply scheduled again.
 */
import { findExecution, executionTasks } from '../executions/summary.ts';
import { ExecutionNotFoundError, type ExecutionStore } from '../executions/execution-store.ts';
import type { Logger } from '../log.ts';
import type { TaskStore } from '../tasks/task-store.ts';
import { FINISHED, type Task } from '../tasks/task.ts';
import type { ExecutionWatch } from './execution-watch.ts';
import type { Notifier } from './notifier.ts';
import type { ExecutionRollup } from './payload.ts';

/** At most this many tasks that look unfinished are read again one by one. */
const REREAD_LIMIT = 100;

export interface ExecutionCheckDeps {
  executionStore: ExecutionStore;
  taskStore: TaskStore;
  notifier: Pick<Notifier, 'executionFinished'>;
  watch: ExecutionWatch;
  logger: Logger;
  now?: () => Date;
}

export type ExecutionCheckOutcome = 'notified' | 'unfinished' | 'listing' | 'rescheduled' | 'unknown';

export function createExecutionCheck(deps: ExecutionCheckDeps): (executionId: string) => Promise<ExecutionCheckOutcome> {
  const now = deps.now ?? (() => new Date());

  return async function checkExecution(executionId) {
    const log = deps.logger.child({ execution_id: executionId });
    await deps.watch.checking(executionId);
    let execution;
    try {
      execution = await findExecution(deps.executionStore, executionId);
    } catch (error) {
      if (!(error instanceof ExecutionNotFoundError)) throw error;
      log.warn('execution check for an unknown execution', {});
      return 'unknown';
    }
    if (execution.expandedAt === undefined) {
      // Still listing: no later task may finish to look again, so the check comes back itself.
      await deps.watch.schedule(executionId);
      return 'listing';
    }

    const counts: Partial<Record<Task['status'], number>> = {};
    let bytes = 0;
    let finishedAt = execution.expandedAt;
    const unfinished: string[] = [];
    const ruleIds = new Set<string>();
    const tally = (task: Task) => {
      if (task.ruleId) ruleIds.add(task.ruleId);
      counts[task.status] = (counts[task.status] ?? 0) + 1;
      bytes += task.result?.bytes ?? 0;
      if (task.finishedAt && task.finishedAt > finishedAt) finishedAt = task.finishedAt;
    };
    for await (const task of executionTasks(deps.taskStore, execution, now())) {
      if (FINISHED.has(task.status)) tally(task);
      else unfinished.push(task.id);
    }
    if (unfinished.length > REREAD_LIMIT) {
      await deps.watch.schedule(executionId);
      return 'rescheduled';
    }
    for (const id of unfinished) {
      const task = await deps.taskStore.get(id);
      if (!task) continue;
      if (!FINISHED.has(task.status)) {
        log.debug('execution not finished', { task_id: id, status: task.status });
        return 'unfinished';
      }
      tally(task);
    }

    const rollup: ExecutionRollup = {
      id: execution.id,
      ...(execution.ruleId ? { ruleId: execution.ruleId } : {}),
      ...(ruleIds.size > 0 ? { ruleIds: [...ruleIds].sort() } : {}),
      counts,
      bytes,
      startedAt: execution.createdAt,
      finishedAt,
    };
    log.info('execution finished', { counts, bytes });
    await deps.notifier.executionFinished(rollup);
    return 'notified';
  };
}
