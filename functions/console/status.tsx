/** A status badge: an icon and the word, coloured too (the colour is never the only signal). */
const ICONS: Record<string, string> = {
  SUCCEEDED: '✓',
  FAILED: '✗',
  RUNNING: '▶',
  PENDING: '…',
  QUEUED: '⧗',
  SKIPPED: '↷',
  ok: '✓',
  bad: '✗',
  off: '⏸',
  matched: '✓',
  unmatched: '✗',
};

export function Badge(props: { status: string; label?: string }) {
  return <span class={`badge s-${props.status}`}><span aria-hidden="true">{ICONS[props.status] ?? '•'} </span>{props.label ?? props.status}</span>;
}
