/**
 * "Retry failed" for an execution: each of its FAILED tasks runs again through the path of a
 * single task's retry (`rerunTask`: its next generation, a new message). What is not FAILED is
 * left alone, so a second click, or a duplicate request, finds nothing more to retry.
 */
import { rerunTask, type EnqueueDeps } from '../tasks/enqueue.ts';
import type { Execution } from './execution.ts';
import { executionTasks } from './summary.ts';

export async function retryFailedTasks(deps: EnqueueDeps, execution: Execution, now: Date): Promise<string[]> {
  const failed: string[] = [];
  for await (const task of executionTasks(deps.taskStore, execution, now, { status: 'FAILED' })) failed.push(task.id);
  const retried: string[] = [];
  for (const id of failed) retried.push((await rerunTask(deps, id)).task.id);
  deps.logger.info('execution failed tasks retried', { execution_id: execution.id, tasks: retried.length });
  return retried;
}
