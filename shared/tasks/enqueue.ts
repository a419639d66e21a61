/**
 * Creating work: a conditional put of each task's record, then one message per new task. The
 * record comes first, so a crash in between leaves a PENDING task the sweep re-sends; a task that
 * existed already (a duplicate delivery, a rule run twice) gets no second message.
 */
import type { Logger } from '../log.ts';
import type { Queue } from '../queue/queue.ts';
import { newTask, type NewTask, type Task } from './task.ts';
import type { TaskStore } from './task-store.ts';

export interface EnqueueDeps {
  store: TaskStore;
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
  const outcomes = await Promise.all(tasks.map(async (task) => ({ task, created: (await deps.store.create(task)) === 'created' })));
  const created = outcomes.filter((o) => o.created).map((o) => o.task.id);
  if (created.length > 0) {
    const { failed } = await deps.queue.send(created.map((taskId) => ({ taskId })));
    const sent = created.filter((id) => !failed.includes(id));
    await deps.store.markEnqueued(sent, now);
    for (const id of created) deps.logger.info('task created', { task_id: id, enqueued: !failed.includes(id) });
  }
  return outcomes.map((o) => ({ id: o.task.id, created: o.created }));
}

/** Re-sends tasks whose record was written but whose message was never sent. */
export async function sweepStalePending(deps: EnqueueDeps, options: { olderThanMs: number; limit: number }): Promise<{ resent: number; failed: number }> {
  const now = (deps.now ?? (() => new Date()))();
  const stale = await deps.store.listStalePending(new Date(now.getTime() - options.olderThanMs), options.limit);
  if (stale.length === 0) return { resent: 0, failed: 0 };
  const { failed } = await deps.queue.send(stale.map((t) => ({ taskId: t.id })));
  const sent = stale.map((t) => t.id).filter((id) => !failed.includes(id));
  await deps.store.markEnqueued(sent, now);
  deps.logger.info('sweep resent tasks', { resent: sent.length, failed: failed.length });
  return { resent: sent.length, failed: failed.length };
}
