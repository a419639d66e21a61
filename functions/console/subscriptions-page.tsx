/** Subscriptions: what each follows, its last run and next run, and "Run now". */
import type { Subscription } from '../../shared/subscriptions/subscription.ts';
import { formatDuration, formatTime } from './format.ts';
import { Notice, PostButton } from './layout.tsx';
import { Badge } from './status.tsx';

export function SubscriptionsPage(props: { subscriptions: Subscription[]; csrf: string; ran?: string }) {
  const ran = props.subscriptions.find((s) => s.id === props.ran);
  return (
    <>
      {ran?.lastRun && <Notice>Ran “{ran.name}”: {ran.lastRun.enqueued} tasks queued, {ran.lastRun.upToDate} up to date.{ran.lastRun.executionId && <> <a href={`/ui/executions/${ran.lastRun.executionId}`}>Follow the execution</a></>}</Notice>}
      {props.subscriptions.length === 0 ? <p class="muted">No subscriptions. Create them with <span class="ref">POST /subscriptions</span>.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Subscription</th><th>Source → destination</th><th class="hide-narrow">Follows</th><th>Last run</th><th class="hide-narrow">Next run</th><th>Actions</th></tr></thead>
            <tbody>
              {props.subscriptions.map((s) => {
                const last = s.lastRun;
                return (
                  <tr>
                    <td>{s.name} {!s.enabled && <Badge status="off" label="disabled" />}</td>
                    <td class="ref">{s.source.registry}/{s.source.repository}<br />→ {s.destination.registry}/{s.destination.repository}</td>
                    <td class="hide-narrow">latest {s.latest} by {s.order} matching <span class="ref">{s.tagPattern}</span>, every {s.schedule}</td>
                    <td>{last ? (
                      <>
                        {last.errors.length > 0 ? <Badge status="bad" label="errors" /> : <Badge status="ok" label="ok" />}{' '}
                        {formatTime(last.at)}: {last.enqueued} queued, {last.upToDate} up to date ({formatDuration(last.durationMs)})
                        {last.executionId && <> <a href={`/ui/executions/${last.executionId}`}>execution</a></>}
                        {last.errors.length > 0 && <ul>{last.errors.map((e) => <li>{e}</li>)}</ul>}
                      </>
                    ) : 'never'}</td>
                    <td class="hide-narrow">{formatTime(s.nextRunAt)}</td>
                    <td><PostButton action={`/ui/subscriptions/${s.id}/run`} csrf={props.csrf} label="Run now" quiet /></td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
