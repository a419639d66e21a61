/** Records pages: the filtered list, one record, and retry (the same `rerunTask` as the API). */
import { Hono } from 'hono';
import { CrossdockError, InvalidInputError } from '../../shared/errors.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';
import { rerunTask, type EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import type { ConsoleContext, ConsoleEnv } from './guard.ts';
import type { Nav } from './layout.tsx';
import { Problems } from './layout.tsx';
import { render } from './render.tsx';
import { TaskPage } from './task-page.tsx';
import { TaskFilters, TasksPage } from './tasks-page.tsx';
import { PAGE_SIZE, readTasksQuery } from './tasks-query.ts';

const TASK_ID = /^[0-9a-f]{32}$/;

export function taskRoutes(deps: EnqueueDeps & { ruleStore: RuleStore; nav: Nav }) {
  const list = async (c: ConsoleContext) => {
    const query = Object.fromEntries(Object.entries(c.req.query()).filter(([k]) => k !== 'cursor'));
    const { filter, cursor, problems } = readTasksQuery(c.req.query());
    const rules = await deps.ruleStore.list();
    const page = { title: 'Replication records', current: '/ui/tasks', nav: deps.nav };
    if (problems.length > 0) return render(c, { ...page, status: 400, body: <><Problems title="The filters are not valid" problems={problems} /><TaskFilters rules={rules} query={query} /></> });
    try {
      const result = await deps.taskStore.list(filter, PAGE_SIZE, cursor);
      return render(c, { ...page, body: <TasksPage tasks={result.items} rules={rules} query={query} {...(result.cursor ? { next: result.cursor } : {})} /> });
    } catch (error) {
      if (!(error instanceof InvalidInputError)) throw error;
      return render(c, { ...page, status: 400, body: <><Problems title="The filters are not valid" problems={error.problems} /><TaskFilters rules={rules} query={query} /></> });
    }
  };
  const show = async (c: ConsoleContext, problem?: CrossdockError) => {
    const id = c.req.param('id') ?? '';
    const task = TASK_ID.test(id) ? await deps.taskStore.get(id) : undefined;
    if (!task) return render(c, { title: 'Record not found', nav: deps.nav, status: 404, body: <p>No task {id}. <a href="/ui/tasks">All records</a></p> });
    const rule = task.ruleId ? await deps.ruleStore.get(task.ruleId) : undefined;
    return render(c, {
      title: 'Replication record',
      current: '/ui/tasks',
      nav: deps.nav,
      status: problem ? 409 : 200,
      body: <>{problem && <Problems title="Not retried" problems={[problem.message]} />}<TaskPage task={task} csrf={c.get('csrf')} {...(rule ? { ruleName: rule.name } : {})} executions={deps.nav.executions === true} /></>,
    });
  };
  return new Hono<ConsoleEnv>()
    .get('/', list)
    .get('/tasks', list)
    .get('/tasks/:id', (c) => show(c))
    .post('/tasks/:id/retry', async (c) => {
      const id = c.req.param('id');
      if (!TASK_ID.test(id)) return show(c);
      try {
        await rerunTask(deps, id);
      } catch (error) {
        if (error instanceof CrossdockError && (error.code === 'TASK_CONFLICT' || error.code === 'TASK_NOT_FOUND')) return show(c, error);
        throw error;
      }
      return c.redirect(`/ui/tasks/${id}`, 303);
    });
}
