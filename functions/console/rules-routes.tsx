/**
 * Rule pages: list, create, edit, enable/disable, run, and the tag preview. Saving and running
 * use the same schema checks, store and `runRule` (shared/intake) as `/rules`.
 */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { CrossdockError } from '../../shared/errors.ts';
import { undeclaredProblems } from '../../shared/oci/egress-policy.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { previewRule } from '../../shared/rules/preview-rule.ts';
import { Rule, RuleSource } from '../../shared/rules/rule.ts';
import type { RuleStore } from '../../shared/rules/rule-store.ts';
import { startRuleRun, type RuleRunDeps } from '../../shared/intake/rule-expansion.ts';
import { compileTagPattern } from '../../shared/patterns/tag-pattern.ts';
import { zodProblems } from '../http/errors.ts';
import { type ConsoleContext, type ConsoleEnv } from './guard.ts';
import { Problems, type Nav } from './layout.tsx';
import { render, renderFragment } from './render.tsx';
import { EMPTY_RULE_FORM, formValuesOf, readRuleForm, validateRuleForm, type FormBody, type RuleFormValues } from './rule-form.ts';
import { RuleFormPage } from './rule-form-page.tsx';
import type { PreviewState } from './rule-preview.tsx';
import { RulePreviewView } from './rule-preview.tsx';
import { RulesPage, type RunSummary } from './rules-page.tsx';

/** A preview answers within this, whatever the registry does. */
const PREVIEW_DEADLINE_MS = 10_000;

export interface ConsoleRulesDeps extends RuleRunDeps {
  ruleStore: RuleStore;
  pool: RegistryPool;
  nav: Nav;
}

export function ruleRoutes(deps: ConsoleRulesDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const page = { current: '/ui/rules', nav: deps.nav };

  const preview = async (values: RuleFormValues): Promise<PreviewState> => {
    if (values.sourceRegistry.trim() === '') return { idle: true };
    const source = RuleSource.safeParse({ registry: values.sourceRegistry, namespace: values.sourceNamespace, ...(values.sourceRepository.trim() ? { repository: values.sourceRepository } : {}) });
    const problems = source.success ? [] : zodProblems(source.error, 'source');
    let pattern;
    try {
      pattern = compileTagPattern(values.tagPattern, { anchored: true });
    } catch (error) {
      problems.push(`tagPattern: ${(error as Error).message}`);
    }
    // Nothing undeclared is contacted, not even to list tags.
    if (source.success) problems.push(...undeclaredProblems(deps.pool.egress?.declared, [['source.registry', source.data.registry]]));
    if (problems.length > 0 || !source.success || !pattern) return { problems };
    try {
      return { preview: await previewRule(source.data, pattern, deps.pool, { deadline: Date.now() + PREVIEW_DEADLINE_MS, signal: AbortSignal.timeout(PREVIEW_DEADLINE_MS) }) };
    } catch (error) {
      if (error instanceof CrossdockError) return { problems: [`${error.code}: ${error.message}`] };
      if (error instanceof Error && (error.name === 'TimeoutError' || error.name === 'AbortError')) return { problems: [`the source registry did not answer within ${PREVIEW_DEADLINE_MS / 1000} s`] };
      throw error;
    }
  };

  const form = async (c: ConsoleContext, title: string, action: string, values: RuleFormValues, options: { problems?: string[]; status?: 200 | 400 } = {}) =>
    render(c, { ...page, title, ...(options.status ? { status: options.status } : {}), body: <RuleFormPage action={action} values={values} csrf={c.get('csrf')} preview={await preview(values)} {...(options.problems ? { problems: options.problems } : {})} /> });

  const mustGet = async (c: ConsoleContext) => deps.ruleStore.get(c.req.param('id') ?? '');
  const notFound = (c: ConsoleContext) => render(c, { ...page, title: 'Rule not found', status: 404, body: <p>No such rule. <a href="/ui/rules">All rules</a></p> });
  const setEnabled = (enabled: boolean) => async (c: ConsoleContext) => {
    const rule = await mustGet(c);
    if (!rule) return notFound(c);
    await deps.ruleStore.put({ ...rule, enabled, updatedAt: now().toISOString() });
    deps.logger.info(enabled ? 'rule enabled' : 'rule disabled', { rule_id: rule.id });
    return c.redirect('/ui/rules', 303);
  };

  return new Hono<ConsoleEnv>()
    .get('/rules', async (c) => {
      const execution = c.req.query('execution');
      const summary: RunSummary | undefined = execution && c.req.query('rule') ? { execution, ruleId: c.req.query('rule')! } : undefined;
      return render(c, { ...page, title: 'Rules', body: <RulesPage rules={await deps.ruleStore.list()} csrf={c.get('csrf')} {...(summary ? { ran: summary } : {})} /> });
    })
    .get('/rules/new', (c) => form(c, 'New rule', '/ui/rules', EMPTY_RULE_FORM))
    .get('/rules/preview', async (c) => {
      const values = readRuleForm(c.req.queries() as FormBody);
      return renderFragment(c, <RulePreviewView state={await preview(values)} />);
    })
    // Without JS, "Preview tags" posts the form here (keeping its CSRF token out of the URL):
    // the same form, filled in, with its preview.
    .post('/rules/preview', async (c) => {
      const body = await c.req.parseBody({ all: true });
      const id = typeof body['ruleId'] === 'string' && body['ruleId'] !== '' ? body['ruleId'] : undefined;
      return form(c, id ? 'Edit rule' : 'New rule', id ? `/ui/rules/${encodeURIComponent(id)}` : '/ui/rules', readRuleForm(body));
    })
    .post('/rules', async (c) => {
      const values = readRuleForm(await c.req.parseBody({ all: true }));
      const { input, problems } = validateRuleForm(values, deps.pool.egress?.declared);
      if (!input) return form(c, 'New rule', '/ui/rules', values, { problems, status: 400 });
      const at = now().toISOString();
      const rule = Rule.parse({ ...input, id: randomUUID(), createdAt: at, updatedAt: at });
      await deps.ruleStore.put(rule);
      deps.logger.info('rule created', { rule_id: rule.id });
      return c.redirect('/ui/rules', 303);
    })
    .get('/rules/:id', async (c) => {
      const rule = await mustGet(c);
      return rule ? form(c, 'Edit rule', `/ui/rules/${rule.id}`, formValuesOf(rule)) : notFound(c);
    })
    .post('/rules/:id', async (c) => {
      const existing = await mustGet(c);
      if (!existing) return notFound(c);
      const values = readRuleForm(await c.req.parseBody({ all: true }));
      const { input, problems } = validateRuleForm(values, deps.pool.egress?.declared);
      if (!input) return form(c, 'Edit rule', `/ui/rules/${existing.id}`, values, { problems, status: 400 });
      await deps.ruleStore.put(Rule.parse({ ...input, id: existing.id, createdAt: existing.createdAt, updatedAt: now().toISOString() }));
      return c.redirect('/ui/rules', 303);
    })
    .post('/rules/:id/enable', setEnabled(true))
    .post('/rules/:id/disable', setEnabled(false))
    .post('/rules/:id/run', async (c) => {
      const rule = await mustGet(c);
      if (!rule) return notFound(c);
      const refused = undeclaredProblems(deps.pool.egress?.declared, [['source.registry', rule.source.registry], ...rule.destinations.map((d, i) => [`destinations.${i}.registry`, d.registry] as const)]);
      if (refused.length > 0) return render(c, { ...page, title: 'Rule not run', status: 400, body: <Problems title="A registry of this rule is not declared" problems={refused} /> });
      // As `POST /rules/:id/run`: an execution, listed through the queue in bounded steps.
      const execution = await startRuleRun(rule, deps);
      return c.redirect(`/ui/rules?rule=${encodeURIComponent(rule.id)}&execution=${encodeURIComponent(execution.id)}`, 303);
    });
}
