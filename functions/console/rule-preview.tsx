/** The preview fragment: per repository in scope, the tags the pattern matches and those it does not. */
import type { RulePreview } from '../../shared/rules/preview-rule.ts';
import { Badge } from './status.tsx';

export type PreviewState = { preview: RulePreview } | { problems: string[] } | { idle: true };

function TagList(props: { tags: string[]; total: number; status: 'matched' | 'unmatched' }) {
  if (props.total === 0) return <p class="muted">none</p>;
  return (
    <ul class="tags" aria-label={props.status}>
      {props.tags.map((t) => <li><Badge status={props.status} label={t} /></li>)}
      {props.total > props.tags.length && <li class="muted">and {props.total - props.tags.length} more</li>}
    </ul>
  );
}

export function RulePreviewView(props: { state: PreviewState }) {
  const s = props.state;
  if ('idle' in s) return <p class="muted">Name a source registry to see which of its tags the pattern matches.</p>;
  if ('problems' in s) {
    return <div class="notice s-bad" role="alert"><strong>✗ No preview</strong><ul>{s.problems.map((p) => <li>{p}</li>)}</ul></div>;
  }
  const { repositories, repositoriesLeftOut } = s.preview;
  if (repositories.length === 0) return <p class="muted">No repository in the source's scope holds tags yet.</p>;
  return (
    <div>
      {repositories.map((r) => (
        <div class="card" data-repository={r.repository}>
          <strong class="ref">{r.repository}</strong>
          <p>Matched ({r.matchedTotal}):</p>
          <TagList tags={r.matched} total={r.matchedTotal} status="matched" />
          <p>Not matched ({r.unmatchedTotal}):</p>
          <TagList tags={r.unmatched} total={r.unmatchedTotal} status="unmatched" />
          {r.artifacts > 0 && <p class="muted">{r.artifacts} signature/attestation tags follow their images as referrers.</p>}
        </div>
      ))}
      {repositoriesLeftOut > 0 && <p class="muted">{repositoriesLeftOut} more repositories in scope are not shown.</p>}
    </div>
  );
}
