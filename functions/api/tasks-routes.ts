/**
 * `/tasks`: the replication records, newest first, filtered by rule, status, source and/or
 * destination repository (with or without its registry) and time; `POST /tasks/:id/retry` runs a
 * finished task again. A list answer says what its filters matched.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import { findExecution, tasksOf } from '../../shared/executions/summary.ts';
import { rerunTask, type EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import { TaskStatus } from '../../shared/tasks/task.ts';
import { TaskNotFoundError, type RepositoryMatch, type TaskFilter } from '../../shared/tasks/task-store.ts';
import { readQuery } from '../http/body.ts';
import { Repository } from '../http/repository-filter.ts';

const ListQuery = z.strictObject({
  rule: z.string().min(1).optional(),
  /** An execution's tasks (within its time window, see shared/executions/summary.ts). */
  execution: z.string().min(1).max(100).optional(),
  status: TaskStatus.optional(),
  /** Source or destination. */
  repository: Repository.optional(),
  source: Repository.optional(),
  destination: Repository.optional(),
  since: z.string().datetime({ offset: true }).optional(),
  until: z.string().datetime({ offset: true }).optional(),
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).optional(),
});

const TaskId = z.string().regex(/^[0-9a-f]{32}$/);

const described = (match: RepositoryMatch, side: string) => ({ registry: match.registry ?? 'any', repository: match.repository, matched: side });


export function tasksRoutes(deps: EnqueueDeps & { executionStore?: ExecutionStore }) {
  const { taskStore } = deps;
  return new Hono()
    .get('/', async (c) => {
      const q = readQuery(c, ListQuery);
      const iso = (t: string | undefined) => (t === undefined ? undefined : new Date(t).toISOString());
      const execution = q.execution && deps.executionStore ? tasksOf(await findExecution(deps.executionStore, q.execution), (deps.now ?? (() => new Date()))()) : undefined;
      const since = iso(q.since) ?? execution?.since;
      const until = iso(q.until) ?? execution?.until;
      const filter: TaskFilter = {
        ...(q.rule ? { ruleId: q.rule } : {}),
        ...(execution ? { executionId: execution.executionId } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.repository ? { repository: q.repository } : {}),
        ...(q.source ? { source: q.source } : {}),
        ...(q.destination ? { destination: q.destination } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
      };
      const page = await taskStore.list(filter, q.limit, q.cursor);
      const filters = {
        ...(q.rule ? { rule: q.rule } : {}),
        ...(execution ? { execution: execution.executionId } : {}),
        ...(q.status ? { status: q.status } : {}),
        ...(q.repository ? { repository: described(q.repository, 'source or destination') } : {}),
        ...(q.source ? { source: described(q.source, 'source') } : {}),
        ...(q.destination ? { destination: described(q.destination, 'destination') } : {}),
        ...(since ? { since } : {}),
        ...(until ? { until } : {}),
      };
      return c.json({ ...page, filters, order: 'newest first' });
    })
    .get('/:id', async (c) => {
      const task = await taskStore.get(c.req.param('id'));
      if (!task) throw new TaskNotFoundError(c.req.param('id'));
      return c.json(task);
    })
    .post('/:id/retry', async (c) => {
      const id = c.req.param('id');
      if (!TaskId.safeParse(id).success) throw new TaskNotFoundError(id);
      const { task } = await rerunTask(deps, id);
      return c.json(task, 202);
    });
}
