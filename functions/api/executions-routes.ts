/**
 * `/executions`: what each trigger (rule run, subscription run, manual sync, webhook delivery)
 * created and how far it got, counted from its tasks on read; `POST /executions/:id/retry-failed`
 * runs its FAILED tasks again through the path of `POST /tasks/:id/retry` (shared with the console).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import { retryFailedTasks } from '../../shared/executions/retry-failed.ts';
import { findExecution, summarize } from '../../shared/executions/summary.ts';
import type { EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import { readQuery } from '../http/body.ts';

export interface ExecutionsRoutesDeps extends EnqueueDeps {
  executionStore: ExecutionStore;
}

const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(50).default(20),
  cursor: z.string().min(1).optional(),
});

export function executionsRoutes(deps: ExecutionsRoutesDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  return new Hono()
    .get('/', async (c) => {
      const q = readQuery(c, ListQuery);
      const page = await deps.executionStore.list(q.limit, q.cursor);
      const items = await Promise.all(page.items.map((e) => summarize(deps.taskStore, e, now())));
      return c.json({ items, ...(page.cursor ? { cursor: page.cursor } : {}), order: 'newest first' });
    })
    .get('/:id', async (c) => {
      const execution = await findExecution(deps.executionStore, c.req.param('id'));
      return c.json(await summarize(deps.taskStore, execution, now()));
    })
    .post('/:id/retry-failed', async (c) => {
      const execution = await findExecution(deps.executionStore, c.req.param('id'));
      const retried = await retryFailedTasks(deps, execution, now());
      return c.json({ execution: execution.id, retried }, 202);
    });
}
