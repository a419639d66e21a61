/**
 * What a person watching a sync sees: on a terminal, one line redrawn in place (images done,
 * failures, bytes, rate); elsewhere, nothing until the summary, so logs stay clean.
 */
import type { SyncOutcome } from '../../shared/sync/run.ts';

const REDRAW_MS = 200;

export interface Progress {
  total(n: number): void;
  bytes(n: number): void;
  outcome(outcome: SyncOutcome): void;
  /** Clears the live line so another line can be written. */
  clear(): void;
  stop(): void;
}

export function createProgress(stream: NodeJS.WriteStream, live: boolean, now: () => number = Date.now): Progress {
  const started = now();
  let total = 0;
  let done = 0;
  let failed = 0;
  let bytes = 0;
  let shown = false;
  const render = () => {
    if (!live) return;
    const seconds = Math.max(0.001, (now() - started) / 1000);
    const line = `images ${done}/${total}${failed ? ` (${failed} failed)` : ''} · ${formatBytes(bytes)} · ${formatBytes(bytes / seconds)}/s · ${formatDuration(seconds)}`;
    stream.write(`\r\x1b[2K${line}`);
    shown = true;
  };
  const timer = live ? setInterval(render, REDRAW_MS) : undefined;
  timer?.unref();
  return {
    total: (n) => {
      total = n;
      render();
    },
    bytes: (n) => {
      bytes += n;
    },
    outcome: (o) => {
      if (o.ok || o.final) done++;
      if (!o.ok && o.final) failed++;
    },
    clear: () => {
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
    stop: () => {
      if (timer) clearInterval(timer);
      if (shown) stream.write('\r\x1b[2K');
      shown = false;
    },
  };
}

export function formatBytes(n: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = n;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(unit === 0 ? 0 : 1)} ${units[unit]}`;
}

export function formatDuration(seconds: number): string {
  if (seconds < 60) return `${seconds.toFixed(1)} s`;
  const m = Math.floor(seconds / 60);
  return `${m}m${String(Math.round(seconds - m * 60)).padStart(2, '0')}s`;
}
