/**
 * After a restart of a runtime whose queue lived in memory, every unfinished task is sent again.
 * Tasks left RUNNING by the stopped process go back to PENDING first: no other worker shares
 * this runtime's data, so nobody else is running them.
 */
import { messageFor, type EnqueueDeps } from './enqueue.ts';
import type { Task } from './task.ts';

const PAGE = 200;

export async function requeueUnfinished(deps: EnqueueDeps): Promise<{ requeued: number; released: number }> {
  const now = (deps.now ?? (() => new Date()))();
  const unfinished: Task[] = [];
  for (const status of ['PENDING', 'QUEUED', 'RUNNING'] as const) {
    let cursor: string | undefined;
    do {
      const page = await deps.taskStore.list({ status }, PAGE, cursor);
      unfinished.push(...page.items);
      cursor = page.cursor;
    } while (cursor);
  }
  const running = unfinished.filter((t) => t.status === 'RUNNING');
  for (const task of running) await deps.taskStore.release(task.id, { code: 'INTERRUPTED', message: 'the runtime stopped during the copy; it runs again' }, now);
  if (unfinished.length === 0) return { requeued: 0, released: 0 };
  const { failed } = await deps.queue.send(unfinished.map(messageFor));
  await deps.taskStore.markEnqueued(unfinished.map((t) => t.id).filter((id) => !failed.includes(id)), now);
  deps.logger.info('unfinished tasks requeued', { requeued: unfinished.length - failed.length, released: running.length });
  return { requeued: unfinished.length - failed.length, released: running.length };
}
