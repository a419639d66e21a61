/**
 * Create or edit a rule. A plain form; the source fields and pattern carry `data-preview-source`
 * so the inline script previews as they change, and the "Preview" button does the same without JS.
 */
import { Csrf, Problems } from './layout.tsx';
import { RulePreviewView, type PreviewState } from './rule-preview.tsx';
import type { RuleFormValues } from './rule-form.ts';

/** Empty rows offered below the rule's destinations (without JS there is no "add" button). */
const SPARE_DESTINATIONS = 2;

export function RuleFormPage(props: { action: string; values: RuleFormValues; csrf: string; problems?: string[]; preview: PreviewState }) {
  const v = props.values;
  const ruleId = props.action.startsWith('/ui/rules/') ? decodeURIComponent(props.action.slice('/ui/rules/'.length)) : undefined;
  const rows = [...v.destinations, ...Array.from({ length: SPARE_DESTINATIONS }, () => ({ registry: '', namespace: '', repository: '' }))];
  return (
    <>
      {props.problems && props.problems.length > 0 && <Problems title="The rule was not saved" problems={props.problems} />}
      <form method="post" action={props.action} class="stack" data-preview>
        <Csrf token={props.csrf} />
        {ruleId && <input type="hidden" name="ruleId" value={ruleId} />}
        <label>Name<input name="name" value={v.name} required maxlength={200} /></label>
        <fieldset data-preview-source>
          <legend>Source</legend>
          <label>Registry<input name="sourceRegistry" value={v.sourceRegistry} placeholder="registry.example:5000" required /></label>
          <label>Namespace<input name="sourceNamespace" value={v.sourceNamespace} placeholder="(registry root)" /></label>
          <label>Repository<input name="sourceRepository" value={v.sourceRepository} placeholder="(every repository)" /></label>
          <label>Tag pattern (RE2, whole tag)<input name="tagPattern" value={v.tagPattern} class="ref" /></label>
        </fieldset>
        <fieldset>
          <legend>Destinations</legend>
          {rows.map((d, i) => (
            <div class="actions">
              <label>Registry {i + 1}<input name="destRegistry" value={d.registry} /></label>
              <label>Namespace<input name="destNamespace" value={d.namespace} /></label>
              <label>Rename to<input name="destRepository" value={d.repository} placeholder="(same name)" /></label>
            </div>
          ))}
        </fieldset>
        <fieldset>
          <legend>Options</legend>
          <label class="check"><input type="checkbox" name="enabled" checked={v.enabled} /> Enabled</label>
          <label class="check"><input type="checkbox" name="overwrite" checked={v.overwrite} /> Overwrite a different image at the destination</label>
          <label class="check"><input type="checkbox" name="referrers" checked={v.referrers} /> Copy signatures and attestations</label>
          <label>Platforms (empty: all; digests preserved)<input name="platforms" value={v.platforms} placeholder="linux/amd64, linux/arm64" /></label>
        </fieldset>
        <div class="actions">
          <button type="submit">Save rule</button>
          <button type="submit" class="quiet" formmethod="post" formaction="/ui/rules/preview" formnovalidate>Preview tags</button>
        </div>
      </form>
      <h2>Preview</h2>
      <section id="preview" aria-live="polite"><RulePreviewView state={props.preview} /></section>
    </>
  );
}
