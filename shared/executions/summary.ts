/**
 * What an execution has done, counted on read from its tasks: nothing on a task's path writes to
 * the execution (a counter item would cost every task more write units). The tasks are found in
 * the byTime index between the execution's creation and the end of its listing, by the
 * executionId projected there. Its status never flaps: it is RUNNING while anything is still
 * being listed, pending, running or waiting for a retry (a FAILED attempt that will be retried is
 * PENDING with an error, counted as `retrying`), and SUCCEEDED or FAILED only once nothing is.
 */
import type { TaskFilter, TaskStore } from '../tasks/task-store.ts';
import type { Task } from '../tasks/task.ts';
import { type Execution, executionIdParts, instantExecution } from './execution.ts';
import { ExecutionNotFoundError, type ExecutionStore } from './execution-store.ts';

/** Clocks of the functions that create an execution's tasks may differ this much. */
const CLOCK_SKEW_MS = 60_000;
const PAGE = 200;

export type ExecutionStatus = 'RUNNING' | 'SUCCEEDED' | 'FAILED';

export interface ExecutionCounts {
  pending: number;
  retrying: number;
  /** Waiting for a slot on its sync link. */
  queued: number;
  running: number;
  succeeded: number;
  skipped: number;
  failed: number;
}

export interface ExecutionSummary extends Execution {
  status: ExecutionStatus;
  tasks: number;
  counts: ExecutionCounts;
  bytes: number;
  startedAt: string;
  finishedAt?: string;
}

/** An execution by id: stored, or (a webhook delivery) read from the id itself. */
export async function findExecution(store: ExecutionStore, id: string): Promise<Execution> {
  const stored = await store.get(id);
  if (stored) return stored;
  const parts = executionIdParts(id);
  if (parts?.kind === 'delivery') return instantExecution(id, 'delivery', new Date(parts.createdAt));
  throw new ExecutionNotFoundError(id);
}

/** The filter that finds an execution's tasks (newest first) in the task store. */
export function tasksOf(execution: Execution, now: Date): TaskFilter {
  const end = execution.expandedAt ? Date.parse(execution.expandedAt) : now.getTime();
  return {
    executionId: execution.id,
    since: new Date(Date.parse(execution.createdAt) - CLOCK_SKEW_MS).toISOString(),
    until: new Date(end + CLOCK_SKEW_MS).toISOString(),
  };
}

export async function* executionTasks(taskStore: TaskStore, execution: Execution, now: Date, extra: Partial<TaskFilter> = {}): AsyncGenerator<Task> {
  let cursor: string | undefined;
  do {
    const page = await taskStore.list({ ...tasksOf(execution, now), ...extra }, PAGE, cursor);
    yield* page.items;
    cursor = page.cursor;
  } while (cursor);
}

export async function summarize(taskStore: TaskStore, execution: Execution, now: Date): Promise<ExecutionSummary> {
  const counts: ExecutionCounts = { pending: 0, retrying: 0, queued: 0, running: 0, succeeded: 0, skipped: 0, failed: 0 };
  let tasks = 0;
  let bytes = 0;
  let lastFinished = execution.expandedAt ?? execution.createdAt;
  for await (const task of executionTasks(taskStore, execution, now)) {
    tasks++;
    bytes += task.result?.bytes ?? 0;
    if (task.status === 'PENDING') counts[task.error ? 'retrying' : 'pending']++;
    else counts[task.status.toLowerCase() as Lowercase<Exclude<Task['status'], 'PENDING'>>]++;
    if (task.finishedAt && task.finishedAt > lastFinished) lastFinished = task.finishedAt;
  }
  const unfinished = execution.expandedAt === undefined || counts.pending + counts.retrying + counts.queued + counts.running > 0;
  const status: ExecutionStatus = unfinished ? 'RUNNING' : counts.failed > 0 ? 'FAILED' : 'SUCCEEDED';
  return { ...execution, status, tasks, counts, bytes, startedAt: execution.createdAt, ...(unfinished ? {} : { finishedAt: lastFinished }) };
}
