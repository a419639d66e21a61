/**
 * Creating work: a conditional put of each task's record, then one message per new task. The
 * record comes first, so a crash in between leaves a PENDING task the sweep re-sends; a task that
 * existed already (a duplicate delivery, a rule run twice) gets no second message.
 */
import type { Logger } from '../log.ts';
import type { Queue, TaskMessage } from '../queue/queue.ts';
import { newTask, type NewTask, type Task } from './task.ts';
import type { TaskStore } from './task-store.ts';

export interface EnqueueDeps {
  taskStore: TaskStore;
  queue: Queue;
  logger: Logger;
  now?: () => Date;
}

export interface EnqueuedTask {
  id: string;
  /** false: the same work was asked for before; nothing new was queued. */
  created: boolean;
}

export async function enqueueTasks(deps: EnqueueDeps, inputs: NewTask[]): Promise<EnqueuedTask[]> {
  const now = (deps.now ?? (() => new Date()))();
  const seen = new Map<string, Task>();
  for (const input of inputs) {
    const task = newTask(input, now);
    if (!seen.has(task.id)) seen.set(task.id, task);
  }
  const tasks = [...seen.values()];
  const outcomes = await Promise.all(tasks.map(async (task) => ({ task, created: (await deps.taskStore.create(task)) === 'created' })));
  const created = outcomes.filter((o) => o.created).map((o) => o.task.id);
  if (created.length > 0) {
    const { failed } = await deps.queue.send(created.map((taskId) => messageFor(seen.get(taskId)!)));
    const sent = created.filter((id) => !failed.includes(id));
    await deps.taskStore.markEnqueued(sent, now);
    for (const id of created) deps.logger.info('task created', { task_id: id, enqueued: !failed.includes(id) });
  }
  return outcomes.map((o) => ({ id: o.task.id, created: o.created }));
}

/**
 * A PENDING task whose message is older than this may have lost it: the queue keeps messages 14
 * days (MESSAGE_RETENTION_SECONDS), a day of margin before SQS drops them.
 */
export const DEFAULT_RESEND_AFTER_MS = 13 * 86_400_000;
const SWEEP_PAGE = 500;

/**
 * Re-sends the PENDING tasks that no worker claimed and whose message was never sent (a crash
 * between record and message) or may have expired. Every waiting task is looked at, page by page,
 * however long the backlog ahead of it.
 */
export async function sweepStalePending(
  deps: EnqueueDeps,
  options: { olderThanMs: number; resendAfterMs?: number; limit?: number },
): Promise<{ resent: number; failed: number }> {
  const now = (deps.now ?? (() => new Date()))();
  const resendBefore = new Date(now.getTime() - (options.resendAfterMs ?? DEFAULT_RESEND_AFTER_MS)).toISOString();
  let resent = 0;
  let failedCount = 0;
  let cursor: string | undefined;
  do {
    const page = await deps.taskStore.listWaiting(new Date(now.getTime() - options.olderThanMs), options.limit ?? SWEEP_PAGE, cursor);
    cursor = page.cursor;
    const due = page.items.filter((t) => (t.status === 'PENDING' || t.status === 'QUEUED') && (t.enqueuedAt === undefined || t.enqueuedAt < resendBefore));
    if (due.length === 0) continue;
    const { failed } = await deps.queue.send(due.map(messageFor));
    const sent = due.map((t) => t.id).filter((id) => !failed.includes(id));
    await deps.taskStore.markEnqueued(sent, now);
    resent += sent.length;
    failedCount += failed.length;
  } while (cursor);
  if (resent + failedCount > 0) deps.logger.info('sweep resent tasks', { resent, failed: failedCount });
  return { resent, failed: failedCount };
}

/** Runs a finished task again now, in its next generation (`POST /tasks/:id/retry`). */
export async function rerunTask(deps: EnqueueDeps, id: string): Promise<{ task: Task; enqueued: boolean }> {
  const now = (deps.now ?? (() => new Date()))();
  const task = await deps.taskStore.rerun(id, now);
  const { failed } = await deps.queue.send([messageFor(task)]);
  const enqueued = failed.length === 0;
  // Not sent: the task waits in PENDING without enqueuedAt, and the sweep sends it.
  if (enqueued) await deps.taskStore.markEnqueued([id], now);
  deps.logger.info('task rerun', { task_id: id, generation: task.generation, enqueued });
  return { task: enqueued ? { ...task, enqueuedAt: now.toISOString() } : task, enqueued };
}

export function messageFor(task: Pick<Task, 'id' | 'generation' | 'notBefore'>): TaskMessage {
  return { taskId: task.id, ...(task.generation === 0 ? {} : { generation: task.generation }), ...(task.notBefore ? { notBefore: task.notBefore } : {}) };
}
