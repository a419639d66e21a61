/** How numbers, sizes, times and references read on the console's pages. */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  const units = ['KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes / 1024;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${value.toFixed(value < 10 ? 1 : 0)} ${units[unit]}`;
}

export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (s < 60) return `${s.toFixed(s < 10 ? 1 : 0)} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${Math.round(s % 60)} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}

/** ISO time as `2026-12-01 17:24:21Z`: short, sortable, and unambiguous about the zone. */
export function formatTime(iso: string | undefined): string {
  if (!iso) return '—';
  return iso.replace('T', ' ').replace(/\.\d+Z$/, 'Z');
}

export function formatAge(iso: string, now: Date): string {
  return `${formatDuration(Math.max(0, now.getTime() - Date.parse(iso)))} ago`;
}

export function imageName(ref: { registry: string; repository: string; tag?: string; digest?: string }): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${!ref.tag && ref.digest ? `@${ref.digest}` : ''}`;
}

export function shortDigest(digest: string | undefined): string {
  if (!digest) return '—';
  const [algorithm, hex] = digest.split(':');
  return hex ? `${algorithm}:${hex.slice(0, 12)}…` : digest;
}
