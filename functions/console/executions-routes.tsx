/**
 * Executions pages: the list, one execution with its tasks, and "Retry failed", each through the
 * same shared functions as `/executions` (the store, `summarize`, `retryFailedTasks`).
 */
import { Hono } from 'hono';
import { z } from 'zod';
import { CrossdockError, InvalidInputError } from '../../shared/errors.ts';
import { ExecutionId } from '../../shared/executions/execution.ts';
import type { ExecutionStore } from '../../shared/executions/execution-store.ts';
import { retryFailedTasks } from '../../shared/executions/retry-failed.ts';
import { findExecution, summarize, tasksOf } from '../../shared/executions/summary.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';
import type { SubscriptionStore } from '../../shared/subscriptions/subscription-store.ts';
import type { EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import { TaskStatus } from '../../shared/tasks/task.ts';
import { zodProblems } from '../http/errors.ts';
import { ExecutionPage, ExecutionsPage, type TriggerNames } from './executions-page.tsx';
import type { ConsoleContext, ConsoleEnv } from './guard.ts';
import { Problems, type Nav } from './layout.tsx';
import { render } from './render.tsx';
import { PAGE_SIZE } from './tasks-query.ts';

/** Each listed execution is counted from its tasks: fewer per page than records. */
export const EXECUTIONS_PAGE_SIZE = 15;

export interface ConsoleExecutionsDeps extends EnqueueDeps {
  executionStore: ExecutionStore;
  ruleStore: RuleStore;
  subscriptionStore: SubscriptionStore;
  nav: Nav;
}

const blank = (value: unknown) => (value === '' ? undefined : value);
const ListQuery = z.object({ cursor: z.preprocess(blank, z.string().min(1).optional()) });
const DetailQuery = z.object({
  status: z.preprocess(blank, TaskStatus.optional()),
  cursor: z.preprocess(blank, z.string().min(1).optional()),
  retried: z.preprocess(blank, z.coerce.number().int().nonnegative().optional()),
});

export function executionRoutes(deps: ConsoleExecutionsDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const page = { current: '/ui/executions', nav: deps.nav };
  const names = async (): Promise<TriggerNames> => {
    const [rules, subscriptions] = await Promise.all([deps.ruleStore.list(), deps.subscriptionStore.list()]);
    return { rules: new Map(rules.map((r) => [r.id, r.name])), subscriptions: new Map(subscriptions.map((s) => [s.id, s.name])) };
  };
  const invalid = (c: ConsoleContext, problems: readonly string[]) =>
    render(c, { ...page, title: 'Executions', status: 400, body: <><Problems title="The query is not valid" problems={problems} /><p><a href="/ui/executions">All executions</a></p></> });
  const notFound = (c: ConsoleContext, id: string) =>
    render(c, { ...page, title: 'Execution not found', status: 404, body: <p>No execution {id}. <a href="/ui/executions">All executions</a></p> });
  const find = async (id: string) => {
    if (!ExecutionId.safeParse(id).success) return undefined;
    try {
      return await findExecution(deps.executionStore, id);
    } catch (error) {
      if (error instanceof CrossdockError && error.code === 'EXECUTION_NOT_FOUND') return undefined;
      throw error;
    }
  };

  const show = async (c: ConsoleContext, problem?: CrossdockError) => {
    const id = c.req.param('id') ?? '';
    const query = DetailQuery.safeParse(c.req.query());
    if (!query.success) return invalid(c, zodProblems(query.error));
    const execution = await find(id);
    if (!execution) return notFound(c, id);
    const at = now();
    const q = query.data;
    try {
      const [summary, tasks, triggerNames, rules] = await Promise.all([
        summarize(deps.taskStore, execution, at),
        deps.taskStore.list({ ...tasksOf(execution, at), ...(q.status ? { status: q.status } : {}) }, PAGE_SIZE, q.cursor),
        names(),
        deps.ruleStore.list(),
      ]);
      return render(c, {
        ...page,
        title: 'Execution',
        status: problem ? 409 : 200,
        body: (
          <>
            {problem && <Problems title="Not retried" problems={[problem.message]} />}
            <ExecutionPage execution={summary} names={triggerNames} tasks={tasks.items} rules={rules} csrf={c.get('csrf')}
              {...(q.status ? { status: q.status } : {})} {...(tasks.cursor ? { next: tasks.cursor } : {})} {...(q.retried !== undefined ? { retried: q.retried } : {})} />
          </>
        ),
      });
    } catch (error) {
      if (error instanceof InvalidInputError) return invalid(c, error.problems);
      throw error;
    }
  };

  return new Hono<ConsoleEnv>()
    .get('/executions', async (c) => {
      const query = ListQuery.safeParse(c.req.query());
      if (!query.success) return invalid(c, zodProblems(query.error));
      try {
        const listed = await deps.executionStore.list(EXECUTIONS_PAGE_SIZE, query.data.cursor);
        const at = now();
        const [executions, triggerNames] = await Promise.all([Promise.all(listed.items.map((e) => summarize(deps.taskStore, e, at))), names()]);
        return render(c, { ...page, title: 'Executions', body: <ExecutionsPage executions={executions} names={triggerNames} {...(listed.cursor ? { next: listed.cursor } : {})} /> });
      } catch (error) {
        if (error instanceof InvalidInputError) return invalid(c, error.problems);
        throw error;
      }
    })
    .get('/executions/:id', (c) => show(c))
    .post('/executions/:id/retry-failed', async (c) => {
      const id = c.req.param('id');
      const execution = await find(id);
      if (!execution) return notFound(c, id);
      let retried: string[];
      try {
        retried = await retryFailedTasks(deps, execution, now());
      } catch (error) {
        // A failed task retried meanwhile by someone else is running again: say so, nothing is lost.
        if (error instanceof CrossdockError && (error.code === 'TASK_CONFLICT' || error.code === 'TASK_NOT_FOUND')) return show(c, error);
        throw error;
      }
      return c.redirect(`/ui/executions/${execution.id}?retried=${retried.length}`, 303);
    });
}
