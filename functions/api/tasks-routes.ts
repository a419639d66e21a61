/** `/tasks`: the replication records, filtered by rule, status, source repository and time. */
import { Hono } from 'hono';
import { z } from 'zod';
import { TaskStatus } from '../../shared/tasks/task.ts';
import { TaskNotFoundError, type TaskStore } from '../../shared/tasks/task-store.ts';
import { readQuery } from '../http/body.ts';

const ListQuery = z.strictObject({
  rule: z.string().min(1).optional(),
  status: TaskStatus.optional(),
  repository: z.string().min(1).optional(),
  since: z.string().datetime({ offset: true }).optional(),
  until: z.string().datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).optional(),
});

export function tasksRoutes(store: TaskStore) {
  return new Hono()
    .get('/', async (c) => {
      const q = readQuery(c, ListQuery);
      const iso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
      const since = iso(q.since);
      const until = iso(q.until);
      const page = await store.list(
        { ...(q.rule ? { ruleId: q.rule } : {}), ...(q.status ? { status: q.status } : {}), ...(q.repository ? { repository: q.repository } : {}), ...(since ? { since } : {}), ...(until ? { until } : {}) },
        q.limit,
        q.cursor,
      );
      return c.json(page);
    })
    .get('/:id', async (c) => {
      const task = await store.get(c.req.param('id'));
      if (!task) throw new TaskNotFoundError(c.req.param('id'));
      return c.json(task);
    });
}
