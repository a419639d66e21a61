/** Replication records, newest first, with the filters of `GET /tasks`; live while any is unfinished. */
import type { Rule } from '../../shared/rules/rule.ts';
import type { Task } from '../../shared/tasks/task.ts';
import { TaskStatus } from '../../shared/tasks/task.ts';
import { formatBytes, formatDuration, formatTime, imageName } from './format.ts';
import { ProgressView } from './progress.tsx';
import { Badge } from './status.tsx';
import { taskExtras } from './task-extras.ts';

export interface TasksPageProps {
  tasks: Task[];
  rules: Rule[];
  query: Record<string, string>;
  next?: string;
}

export function TaskFilters(props: { rules: Rule[]; query: Record<string, string> }) {
  const q = props.query;
  return (
    <form method="get" action="/ui/tasks" class="filters" role="search">
      <label>Rule
        <select name="rule">
          <option value="">any</option>
          {props.rules.map((r) => <option value={r.id} selected={q['rule'] === r.id}>{r.name}</option>)}
        </select>
      </label>
      <label>Status
        <select name="status">
          <option value="">any</option>
          {TaskStatus.options.map((s) => <option value={s} selected={q['status'] === s}>{s}</option>)}
        </select>
      </label>
      <label>Source or destination<input name="repository" value={q['repository'] ?? ''} placeholder="registry/repository" /></label>
      <label>Source<input name="source" value={q['source'] ?? ''} placeholder="registry/repository" /></label>
      <label>Destination<input name="destination" value={q['destination'] ?? ''} placeholder="registry/repository" /></label>
      <label>Since (UTC)<input type="datetime-local" name="since" value={q['since'] ?? ''} /></label>
      <label>Until (UTC)<input type="datetime-local" name="until" value={q['until'] ?? ''} /></label>
      <button type="submit">Filter</button>
      <a href="/ui/tasks">Clear</a>
    </form>
  );
}

export function TasksTable(props: { tasks: Task[]; rules: Rule[] }) {
  const ruleName = new Map(props.rules.map((r) => [r.id, r.name]));
  if (props.tasks.length === 0) return <p class="muted">No records match.</p>;
  return (
    <div class="scroll">
      <table>
        <thead>
          <tr><th>Status</th><th>Source → destination</th><th class="hide-narrow">Rule</th><th>Created (UTC)</th><th class="hide-narrow">Outcome</th></tr>
        </thead>
        <tbody>
          {props.tasks.map((task) => {
            const extras = taskExtras(task);
            return (
              <tr>
                <td><a href={`/ui/tasks/${task.id}`}><Badge status={task.status} /></a></td>
                <td class="ref"><a href={`/ui/tasks/${task.id}`}>{imageName(task.source)}</a><br />→ {imageName(task.destination)}</td>
                <td class="hide-narrow">{task.ruleId ? ruleName.get(task.ruleId) ?? task.ruleId : task.kind}</td>
                <td>{formatTime(task.createdAt)}</td>
                <td class="hide-narrow">
                  {task.status === 'RUNNING' && extras.progress ? <ProgressView progress={extras.progress} />
                    : task.status === 'QUEUED' ? `waiting for its link${task.queuePosition ? `, #${task.queuePosition}` : ''}`
                    : task.error ? <span class="ref">{task.error.code}</span>
                    : task.result ? `${formatBytes(task.result.bytes)}${task.durationMs !== undefined ? ` in ${formatDuration(task.durationMs)}` : ''}`
                    : `attempt ${task.attempts}`}
                </td>
              </tr>
            );
          })}
        </tbody>
      </table>
    </div>
  );
}

export function TasksPage(props: TasksPageProps) {
  const nextQuery = props.next ? new URLSearchParams({ ...props.query, cursor: props.next }).toString() : undefined;
  return (
    <>
      <TaskFilters rules={props.rules} query={props.query} />
      <section id="tasks" data-live="on" aria-live="polite">
        <TasksTable tasks={props.tasks} rules={props.rules} />
        {nextQuery && <p><a href={`/ui/tasks?${nextQuery}`}>Older records →</a></p>}
      </section>
    </>
  );
}
