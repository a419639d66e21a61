/**
 * A link's P95 completion time over time as a small inline SVG (no script, no image request):
 * a line through the buckets that had finished tasks, a marked point on each, and the axis
 * values in words. The same figures are in the table beside it, so nothing rests on the chart.
 */
import type { TimeBucket } from '../../shared/links/link-stats.ts';
import { formatDuration } from './format.ts';

const W = 360;
const H = 130;
const PAD = { left: 8, right: 8, top: 18, bottom: 22 };

export function P95Chart(props: { buckets: readonly TimeBucket[]; label: string; bucketWord: string }) {
  const points = props.buckets.map((b, i) => ({ ...b, i })).filter((b) => b.p95Ms !== null) as Array<TimeBucket & { i: number; p95Ms: number }>;
  const max = Math.max(1, ...points.map((p) => p.p95Ms));
  const n = Math.max(1, props.buckets.length);
  const x = (i: number) => PAD.left + ((i + 0.5) / n) * (W - PAD.left - PAD.right);
  const y = (ms: number) => PAD.top + (1 - ms / max) * (H - PAD.top - PAD.bottom);
  const first = props.buckets[0];
  const last = props.buckets[props.buckets.length - 1];
  const summary = points.length === 0
    ? `${props.label}: no task finished on this link in the window`
    : `${props.label}: ${points.length} ${props.bucketWord}s with finished tasks, P95 from ${formatDuration(Math.min(...points.map((p) => p.p95Ms)))} to ${formatDuration(max)}`;
  return (
    <svg class="chart" viewBox={`0 0 ${W} ${H}`} role="img" aria-label={summary} data-points={String(points.length)}>
      <title>{summary}</title>
      <line x1={PAD.left} y1={H - PAD.bottom} x2={W - PAD.right} y2={H - PAD.bottom} stroke="#9aa4af" />
      <line x1={PAD.left} y1={PAD.top} x2={W - PAD.right} y2={PAD.top} stroke="#e6e9ee" stroke-dasharray="3 3" />
      <text x={PAD.left} y={PAD.top - 5} font-size="11" fill="#5d6670">{`P95 max ${formatDuration(max)}`}</text>
      {points.length > 1 && <polyline fill="none" stroke="#0b57d0" stroke-width="2" points={points.map((p) => `${x(p.i).toFixed(1)},${y(p.p95Ms).toFixed(1)}`).join(' ')} />}
      {points.map((p) => (
        <rect x={(x(p.i) - 3.5).toFixed(1)} y={(y(p.p95Ms) - 3.5).toFixed(1)} width="7" height="7" fill="#fff" stroke="#0b57d0" stroke-width="2">
          <title>{`${p.start.slice(0, 16).replace('T', ' ')}Z: P95 ${formatDuration(p.p95Ms)} over ${p.count} tasks`}</title>
        </rect>
      ))}
      {first && <text x={PAD.left} y={H - 6} font-size="11" fill="#5d6670">{`${first.start.slice(5, 16).replace('T', ' ')}Z`}</text>}
      {last && <text x={W - PAD.right} y={H - 6} font-size="11" fill="#5d6670" text-anchor="end">{`${last.end.slice(5, 16).replace('T', ' ')}Z`}</text>}
    </svg>
  );
}
