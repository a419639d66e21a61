/** Rules: what each replicates where, on or off, and the actions (edit, enable/disable, run). */
import type { Rule } from '../../shared/rules/rule.ts';
import { sourcePath } from '../../shared/rules/rule.ts';
import { Notice, PostButton } from './layout.tsx';
import { Badge } from './status.tsx';

/** A rule run just started: an execution whose listing proceeds through the queue. */
export interface RunSummary {
  execution: string;
  ruleId: string;
}

export function RulesPage(props: { rules: Rule[]; csrf: string; ran?: RunSummary }) {
  return (
    <>
      {props.ran && (
        <Notice>
          Rule run started as execution <code>{props.ran.execution}</code>: its repositories and tags are listed through the queue, and its tasks appear as they are found.{' '}
          <a href={`/ui/executions/${encodeURIComponent(props.ran.execution)}`}>Follow the execution</a> · <a href={`/ui/tasks?rule=${encodeURIComponent(props.ran.ruleId)}`}>See the rule's records</a>
        </Notice>
      )}
      <p><a class="button" href="/ui/rules/new">New rule</a></p>
      {props.rules.length === 0 ? <p class="muted">No rules yet.</p> : (
        <div class="scroll">
          <table>
            <thead><tr><th>Rule</th><th>Source</th><th>Tags</th><th class="hide-narrow">Destinations</th><th>State</th><th>Actions</th></tr></thead>
            <tbody>
              {props.rules.map((rule) => (
                <tr>
                  <td><a href={`/ui/rules/${rule.id}`}>{rule.name}</a></td>
                  <td class="ref">{rule.source.registry}/{sourcePath(rule.source) || '*'}</td>
                  <td class="ref">{rule.tagPattern}</td>
                  <td class="ref hide-narrow">{rule.destinations.map((d) => `${d.registry}/${d.namespace}${d.repository ? ` → ${d.repository}` : ''}`).join('; ')}</td>
                  <td>{rule.enabled ? <Badge status="ok" label="enabled" /> : <Badge status="off" label="disabled" />}</td>
                  <td class="actions">
                    <PostButton action={`/ui/rules/${rule.id}/${rule.enabled ? 'disable' : 'enable'}`} csrf={props.csrf} label={rule.enabled ? 'Disable' : 'Enable'} quiet />
                    <PostButton action={`/ui/rules/${rule.id}/run`} csrf={props.csrf} label="Run" quiet />
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </>
  );
}
