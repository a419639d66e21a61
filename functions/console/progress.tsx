/** A running task's progress: a <progress> bar plus the same facts in words. */
import { formatBytes } from './format.ts';
import type { Progress } from './task-extras.ts';

export function ProgressView(props: { progress: Progress }) {
  const p = props.progress;
  const total = p.bytesTotal && p.bytesTotal > 0 ? p.bytesTotal : undefined;
  const percent = total ? Math.min(100, Math.floor((p.bytesDone / total) * 100)) : undefined;
  const words = [
    `${formatBytes(p.bytesDone)}${total ? ` of ${formatBytes(total)}` : ''}${percent !== undefined ? ` (${percent}%)` : ''}`,
    ...(p.blobsTotal !== undefined ? [`${p.blobsDone ?? 0}/${p.blobsTotal} blobs`] : []),
    ...(p.bytesPerSecond ? [`${formatBytes(p.bytesPerSecond)}/s`] : []),
  ];
  return (
    <span class="progress">
      {total && <progress max={total} value={p.bytesDone} aria-label="bytes copied" />} <span>{words.join(' · ')}</span>
    </span>
  );
}
