/**
 * Executions: each trigger that created work (a rule run, a subscription run, a manual sync, a
 * webhook delivery), newest first, with its roll-up counted from its tasks (shared/executions),
 * and one execution with its tasks and "Retry failed". Live while an execution still runs.
 */
import type { ExecutionCounts, ExecutionSummary } from '../../shared/executions/summary.ts';
import type { Rule } from '../../shared/rules/rule.ts';
import type { Task } from '../../shared/tasks/task.ts';
import { formatBytes, formatDuration, formatTime } from './format.ts';
import { Notice, PostButton } from './layout.tsx';
import { Badge } from './status.tsx';
import { TasksTable } from './tasks-page.tsx';

/** Names for the triggers: rules and subscriptions by id. */
export interface TriggerNames {
  rules: ReadonlyMap<string, string>;
  subscriptions: ReadonlyMap<string, string>;
}

const KIND_WORDS: Record<ExecutionSummary['kind'], string> = { rule: 'rule run', subscription: 'subscription run', manual: 'manual sync', delivery: 'webhook delivery' };
const COUNT_WORDS: [keyof ExecutionCounts, string][] = [
  ['succeeded', 'succeeded'], ['skipped', 'skipped'], ['failed', 'failed'], ['running', 'running'],
  ['queued', 'queued on a link'], ['pending', 'pending'], ['retrying', 'waiting to retry'],
];

export function countsInWords(counts: ExecutionCounts): string {
  const words = COUNT_WORDS.filter(([key]) => counts[key] > 0).map(([key, word]) => `${counts[key]} ${word}`);
  return words.length > 0 ? words.join(', ') : 'no tasks';
}

function Trigger(props: { execution: ExecutionSummary; names: TriggerNames }) {
  const { execution: e, names } = props;
  return (
    <>
      {KIND_WORDS[e.kind]}
      {e.ruleId && <>: <a href={`/ui/rules/${e.ruleId}`}>{names.rules.get(e.ruleId) ?? e.ruleId}</a></>}
      {e.subscriptionId && <>: {names.subscriptions.get(e.subscriptionId) ?? e.subscriptionId}</>}
    </>
  );
}

export function ExecutionsPage(props: { executions: ExecutionSummary[]; names: TriggerNames; next?: string }) {
  const live = props.executions.some((e) => e.status === 'RUNNING');
  return (
    <section id="executions" data-live={live ? 'on' : 'off'} aria-live="polite">
      {props.executions.length === 0 ? <p class="muted">No executions yet: a rule run, a subscription run, a manual sync or a push creates one.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Status</th><th>Trigger</th><th>Tasks</th><th class="hide-narrow">Bytes</th><th>Started (UTC)</th><th class="hide-narrow">Finished (UTC)</th></tr></thead>
            <tbody>
              {props.executions.map((e) => (
                <tr>
                  <td><a href={`/ui/executions/${e.id}`}><Badge status={e.status} /></a></td>
                  <td><a href={`/ui/executions/${e.id}`} class="ref">{e.id}</a><br /><Trigger execution={e} names={props.names} /></td>
                  <td>{e.tasks}: {countsInWords(e.counts)}</td>
                  <td class="hide-narrow">{formatBytes(e.bytes)}</td>
                  <td>{formatTime(e.startedAt)}</td>
                  <td class="hide-narrow">{formatTime(e.finishedAt)}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {props.next && <p><a href={`/ui/executions?${new URLSearchParams({ cursor: props.next })}`}>Older executions →</a></p>}
    </section>
  );
}

export interface ExecutionPageProps {
  execution: ExecutionSummary;
  names: TriggerNames;
  tasks: Task[];
  rules: Rule[];
  csrf: string;
  /** The task list's status filter, and the next page of it. */
  status?: string;
  next?: string;
  retried?: number;
}

export function ExecutionPage(props: ExecutionPageProps) {
  const { execution: e } = props;
  const x = e.expansion;
  const base = `/ui/executions/${e.id}`;
  const listing = x.catalogDone
    ? `${x.repositoriesDone} of ${x.repositories} repositories listed`
    : `${x.repositoriesDone} of ${x.repositories}+ repositories listed (catalog page ${x.catalogPages} being read)`;
  const rows: [string, unknown][] = [
    ['Status', <Badge status={e.status} />],
    ['Trigger', <Trigger execution={e} names={props.names} />],
    ['Started', formatTime(e.startedAt)],
    ['Finished', e.finishedAt ? `${formatTime(e.finishedAt)} (${formatDuration(Date.parse(e.finishedAt) - Date.parse(e.startedAt))})` : '—'],
    ['Tasks', `${e.tasks}: ${countsInWords(e.counts)}`],
    ['Copied', formatBytes(e.bytes)],
    ...(e.kind === 'rule' || e.kind === 'subscription' ? [['Listing', `${e.expandedAt ? '✓ done' : '… in progress'}: ${listing}; ${x.considered} tags in scope, ${x.upToDate} already up to date${x.errors > 0 ? `; ${x.errors} repositories failed` : ''}`] as [string, unknown]] : []),
    ...(x.lastError ? [['Last listing error', x.lastError] as [string, unknown]] : []),
    ['Execution id', <span class="ref">{e.id}</span>],
  ];
  const filter = (status: string | undefined, label: string) => (
    <a href={status ? `${base}?status=${status}` : base} aria-current={props.status === status ? 'true' : undefined}>{label}</a>
  );
  return (
    <section id="execution" data-live={e.status === 'RUNNING' ? 'on' : 'off'} aria-live="polite">
      {props.retried !== undefined && <Notice>{props.retried === 0 ? 'No failed task to retry.' : `${props.retried} failed tasks queued again.`}</Notice>}
      <dl>{rows.map(([k, v]) => <><dt>{k}</dt><dd>{v as any}</dd></>)}</dl>
      <div class="actions">
        {e.counts.failed > 0 && <PostButton action={`${base}/retry-failed`} csrf={props.csrf} label={`Retry failed (${e.counts.failed})`} />}
        <a href="/ui/executions">All executions</a>
      </div>
      <h2>Its tasks{props.status ? `: ${props.status}` : ''}</h2>
      <p class="actions">Show: {filter(undefined, 'all')} {filter('FAILED', 'failed')} {filter('RUNNING', 'running')} {filter('SUCCEEDED', 'succeeded')}</p>
      <TasksTable tasks={props.tasks} rules={props.rules} />
      {props.next && <p><a href={`${base}?${new URLSearchParams({ ...(props.status ? { status: props.status } : {}), cursor: props.next })}`}>Older tasks →</a></p>}
    </section>
  );
}
