/**
 * What a person watching `crossdock copy` sees: on a terminal, one line redrawn in place (bytes
 * done of the image's size, rate, time); elsewhere, a plain line every PLAIN_EVERY_MS while bytes
 * move, so a log shows the copy is alive without a line per chunk.
 */
import type { Manifest } from '../../shared/oci/manifest-schema.ts';
import { getManifest } from '../../shared/oci/manifests.ts';
import { filterIndex, type PlatformSpec } from '../../shared/oci/platform-filter.ts';
import { manifestReference, type Reference } from '../../shared/oci/reference.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { formatBytes, formatDuration } from './progress.ts';

const REDRAW_MS = 200;
export const PLAIN_EVERY_MS = 10_000;

export interface CopyProgress {
  bytes(n: number): void;
  /** A blob's copy began or ended (blobs done of blobs reached, as the task record counts them). */
  blob(event: { phase: 'start' | 'done' }): void;
  /** Clears the live line so another line can be written. */
  clear(): void;
  stop(): void;
}

export interface CopyProgressOptions {
  live: boolean;
  /** The image's size in bytes (blobs at the destination already are not copied again). */
  total?: number;
  now?: () => number;
  /** Runs fn every ms until stopped (tests drive it by hand). */
  every?: (fn: () => void, ms: number) => { stop(): void };
}

const realEvery = (fn: () => void, ms: number) => {
  const timer = setInterval(fn, ms);
  timer.unref();
  return { stop: () => clearInterval(timer) };
};

export function createCopyProgress(stream: NodeJS.WritableStream, options: CopyProgressOptions): CopyProgress {
  const now = options.now ?? Date.now;
  const every = options.every ?? realEvery;
  const started = now();
  let bytes = 0;
  let blobsDone = 0;
  let blobsTotal = 0;
  let reported = 0;
  let shown = false;
  const line = () => {
    const seconds = Math.max(0.001, (now() - started) / 1000);
    const done = options.total ? `${formatBytes(bytes)} of ${formatBytes(options.total)}` : formatBytes(bytes);
    const blobs = blobsTotal > 0 ? ` · blobs ${blobsDone}/${blobsTotal}` : '';
    return `copied ${done}${blobs} · ${formatBytes(bytes / seconds)}/s · ${formatDuration(seconds)}`;
  };
  const tick = () => {
    if (options.live) {
      stream.write(`\r\x1b[2K${line()}`);
      shown = true;
    } else if (bytes > reported) {
      reported = bytes;
      stream.write(`${line()}\n`);
    }
  };
  const timer = every(tick, options.live ? REDRAW_MS : PLAIN_EVERY_MS);
  const clear = () => {
    if (shown) stream.write('\r\x1b[2K');
    shown = false;
  };
  return {
    bytes: (n) => {
      bytes += n;
    },
    blob: (event) => {
      if (event.phase === 'start') blobsTotal++;
      else blobsDone++;
    },
    clear,
    stop: () => {
      timer.stop();
      clear();
    },
  };
}

/** Bytes of the blobs an image names (config and layers; for an index, of the platforms kept). */
export async function imageSize(pool: RegistryPool, source: Reference, platforms: PlatformSpec[] | undefined): Promise<number> {
  const client = pool.client(source.registry, source.repository);
  const top = await getManifest(client, source.repository, manifestReference(source));
  const blobs = (m: Manifest) => (m.kind === 'image' ? [m.body.config, ...m.body.layers].reduce((n, d) => n + d.size, 0) : 0);
  if (top.kind === 'image') return blobs(top);
  const children = platforms?.length ? filterIndex(top, platforms).kept : top.body.manifests;
  let total = 0;
  for (const child of children) total += blobs(await getManifest(client, source.repository, child.digest));
  return total;
}
