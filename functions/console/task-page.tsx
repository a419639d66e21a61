/** One replication record: everything the record holds, and "Retry" once it has finished. */
import type { Task } from '../../shared/tasks/task.ts';
import { FINISHED } from '../../shared/tasks/task.ts';
import { formatBytes, formatDuration, formatTime, imageName } from './format.ts';
import { PostButton } from './layout.tsx';
import { ProgressView } from './progress.tsx';
import { Badge } from './status.tsx';
import { taskExtras } from './task-extras.ts';

export function TaskPage(props: { task: Task; csrf: string; ruleName?: string; executions?: boolean }) {
  const { task } = props;
  const extras = taskExtras(task);
  const r = task.result;
  const rows: [string, unknown][] = [
    ['Status', <><Badge status={task.status} />{task.deadLettered ? ' (dead-lettered)' : ''}</>],
    ['Source', <span class="ref">{imageName(task.source)}</span>],
    ['Destination', <span class="ref">{imageName(task.destination)}</span>],
    ['Kind', task.kind],
    ['Rule', task.ruleId ? <a href={`/ui/rules/${task.ruleId}`}>{props.ruleName ?? task.ruleId}</a> : '—'],
    ...(extras.executionId ? [['Execution', props.executions ? <a href={`/ui/executions/${extras.executionId}`}>{extras.executionId}</a> : extras.executionId] as [string, unknown]] : []),
    ...(extras.link ? [['Link', `${extras.link.name ?? extras.link.id}${extras.link.type ? ` (${extras.link.type})` : ''}`] as [string, unknown]] : []),
    ...(task.status === 'QUEUED' ? [['Waiting', `for a slot on its link${task.queuePosition ? `, position ${task.queuePosition}` : ''}${task.queuedAt ? ` since ${formatTime(task.queuedAt)}` : ''}`] as [string, unknown]] : []),
    ...(extras.progress && !FINISHED.has(task.status) ? [['Progress', <ProgressView progress={extras.progress} />] as [string, unknown]] : []),
    ['Attempts', `${task.attempts}${task.generation > 0 ? ` (run ${task.generation + 1})` : ''}`],
    ...(task.nextAttemptAt ? [['Next attempt', formatTime(task.nextAttemptAt)] as [string, unknown]] : []),
    ...(task.error ? [['Error', <><span class="ref">{task.error.code}</span>: {task.error.message}</>] as [string, unknown]] : []),
    ['Pushed', formatTime(task.pushedAt)],
    ['Created', formatTime(task.createdAt)],
    ['Enqueued', formatTime(task.enqueuedAt)],
    ['Started', formatTime(task.startedAt)],
    ['Finished', formatTime(task.finishedAt)],
    ...(task.durationMs !== undefined ? [['Duration', formatDuration(task.durationMs)] as [string, unknown]] : []),
    ...(extras.queuedMs !== undefined ? [['Queued for', formatDuration(extras.queuedMs)] as [string, unknown]] : []),
    ...(extras.transferMs !== undefined ? [['Transfer', formatDuration(extras.transferMs)] as [string, unknown]] : []),
    ...(r ? [
      ['Source digest', <span class="ref">{r.sourceDigest}</span>],
      ['Destination digest', <span class="ref">{r.digest}{r.digestPreserved ? ' (preserved)' : ' (changed: platforms filtered)'}</span>],
      ['Copied', `${formatBytes(r.bytes)}; ${r.manifests} manifests; blobs ${r.blobs.copied} copied, ${r.blobs.mounted} mounted, ${r.blobs.skipped} already there; ${r.referrers} referrers`],
      ...(r.reason ? [['Reason', r.reason] as [string, unknown]] : []),
    ] as [string, unknown][] : []),
    ['Options', `overwrite ${task.options.overwrite ? 'on' : 'off'}; referrers ${task.options.referrers ? 'on' : 'off'}; platforms ${task.options.platforms.join(', ') || 'all'}`],
    ['Task id', <span class="ref">{task.id}</span>],
  ];
  return (
    <section id="task" data-live={FINISHED.has(task.status) ? 'off' : 'on'} aria-live="polite">
      <dl>{rows.map(([k, v]) => <><dt>{k}</dt><dd>{v as any}</dd></>)}</dl>
      <div class="actions">
        {FINISHED.has(task.status) && <PostButton action={`/ui/tasks/${task.id}/retry`} csrf={props.csrf} label="Retry" />}
        <a href="/ui/tasks">All records</a>
      </div>
    </section>
  );
}
