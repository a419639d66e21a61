/**
 * Sync links (issue 13): each link's path, cap, limit and state, how many of its tasks run and
 * wait now, and its P95 completion time (queueing excluded) over the window, as a chart and a
 * table of the same figures.
 */
import type { Link } from '../../shared/links/link.ts';
import type { LinkOccupancy } from '../../shared/links/link-occupancy.ts';
import type { LinkStats, TimeBucket } from '../../shared/links/link-stats.ts';
import { formatBytes, formatDuration, formatTime } from './format.ts';
import { P95Chart } from './p95-chart.tsx';
import { Badge } from './status.tsx';

export const LINK_WINDOWS = {
  '24h': { label: 'last 24 hours', ms: 24 * 3_600_000, bucketMs: 3_600_000, bucketWord: 'hour' },
  '7d': { label: 'last 7 days', ms: 7 * 86_400_000, bucketMs: 86_400_000, bucketWord: 'day' },
} as const;
export type LinkWindow = keyof typeof LINK_WINDOWS;

export interface LinkView {
  link: Link;
  /** Absent: the link keeps no slots (neither a cap nor a limit), or none could be read. */
  occupancy?: LinkOccupancy;
  stats: LinkStats;
  overTime: TimeBucket[];
}

function Now(props: { view: LinkView }) {
  const { link, occupancy } = props.view;
  if (occupancy) return <>{occupancy.running} running, {occupancy.queued} queued</>;
  return <span class="muted">{link.maxBandwidth === undefined && link.maxConcurrentTasks === undefined ? 'not tracked (no cap, no limit)' : 'unknown'}</span>;
}

function LinkChart(props: { view: LinkView; window: LinkWindow }) {
  const { link, stats, overTime } = props.view;
  const w = LINK_WINDOWS[props.window];
  const withTasks = overTime.filter((b) => b.count > 0);
  return (
    <section id={`link-${link.id}`} class="link-stats">
      <h2>{link.name}: P95 completion, {w.label}</h2>
      <p>{stats.count === 0 ? 'No task finished on this link in the window.' : (
        <>P95 {formatDuration(stats.completionMs!.p95)} (P50 {formatDuration(stats.completionMs!.p50)}) over {stats.count} tasks, queueing excluded; {formatBytes(stats.bytesPerSecond!)}/s while copying.</>
      )}</p>
      <P95Chart buckets={overTime} label={`${link.name}, P95 per ${w.bucketWord}`} bucketWord={w.bucketWord} />
      {withTasks.length > 0 && (
        <div class="scroll">
          <table>
            <thead><tr><th>{w.bucketWord === 'hour' ? 'Hour' : 'Day'} from (UTC)</th><th>Tasks</th><th>P95</th></tr></thead>
            <tbody>
              {withTasks.map((b) => <tr><td>{formatTime(b.start)}</td><td>{b.count}</td><td>{formatDuration(b.p95Ms!)}</td></tr>)}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

export function LinksPage(props: { views: LinkView[]; window: LinkWindow; recordsRead: number; truncated: boolean; now: Date }) {
  const other = props.window === '24h' ? '7d' : '24h';
  return (
    <>
      {props.views.length === 0 ? <p class="muted">No links: tasks take the default path, uncapped. Create them with <span class="ref">POST /links</span>.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Link</th><th>Source → destination</th><th>Cap</th><th class="hide-narrow">Max running</th><th>Now</th><th class="hide-narrow">P95</th></tr></thead>
            <tbody>
              {props.views.map((v) => (
                <tr>
                  <td><a href={`#link-${v.link.id}`}>{v.link.name}</a> ({v.link.type}) {v.link.enabled ? <Badge status="ok" label="enabled" /> : <Badge status="off" label="disabled" />}</td>
                  <td class="ref">{v.link.sourceRegistry}<br />→ {v.link.destinationRegistry}</td>
                  <td>{v.link.maxBandwidth === undefined ? 'uncapped' : `${formatBytes(v.link.maxBandwidth)}/s`}</td>
                  <td class="hide-narrow">{v.link.maxConcurrentTasks ?? 'no limit'}</td>
                  <td><Now view={v} /></td>
                  <td class="hide-narrow">{v.stats.completionMs ? formatDuration(v.stats.completionMs.p95) : '—'}</td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p class="muted">
        Running and queued as of {formatTime(props.now.toISOString())}. P95 over the {LINK_WINDOWS[props.window].label}, from {props.recordsRead} records
        {props.truncated ? ' (the newest only: the oldest part of the window was not read)' : ''}. <a href={`/ui/links?window=${other}`}>Show the {LINK_WINDOWS[other].label}</a>
      </p>
      {props.views.map((v) => <LinkChart view={v} window={props.window} />)}
    </>
  );
}
