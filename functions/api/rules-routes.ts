/** `/rules`: create, list, get, replace, delete, enable/disable, and run over existing images. */
import { randomUUID } from 'node:crypto';
import { Hono } from 'hono';
import { grantProblems, ruleDestinations } from '../../shared/cloud/grant-check.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { undeclaredProblems } from '../../shared/oci/egress-policy.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { Rule, RuleInput, ruleProblems } from '../../shared/rules/rule.ts';
import { unknownTargetProblems } from '../../shared/rules/rule-notifications.ts';
import { RuleNotFoundError, type RuleStore } from '../../shared/rules/rule-store.ts';
import { startRuleRun, type RuleRunDeps } from '../../shared/intake/rule-expansion.ts';
import { readJson } from '../http/body.ts';

export interface RulesRoutesDeps extends RuleRunDeps {
  ruleStore: RuleStore;
  pool: RegistryPool;
  /** The declared notification target names, where this function knows them: a rule naming another is refused. */
  notificationTargets?: ReadonlySet<string>;
}

/** The registries a rule contacts, each with the field that names it. */
function ruleRegistries(rule: RuleInput) {
  return [['source.registry', rule.source.registry] as const, ...rule.destinations.map((d, i) => [`destinations.${i}.registry`, d.registry] as const)];
}

async function validRuleInput(c: import('hono').Context, pool: RegistryPool, targets?: ReadonlySet<string>): Promise<RuleInput> {
  const input = await readJson(c, RuleInput);
  const problems = [...ruleProblems(input), ...undeclaredProblems(pool.egress?.declared, ruleRegistries(input)), ...unknownTargetProblems(input.notifications, targets, 'notifications'), ...(await grantProblems(pool, ruleDestinations(input), `rule-${input.name}`))];
  if (problems.length > 0) throw new InvalidInputError('RULE_INVALID', problems);
  return input;
}

export function rulesRoutes(deps: RulesRoutesDeps) {
  const now = () => (deps.now ?? (() => new Date()))().toISOString();
  const mustGet = async (id: string): Promise<Rule> => {
    const rule = await deps.ruleStore.get(id);
    if (!rule) throw new RuleNotFoundError(id);
    return rule;
  };
  const setEnabled = (enabled: boolean) => async (c: import('hono').Context) => {
    const rule = { ...(await mustGet(c.req.param('id')!)), enabled, updatedAt: now() };
    await deps.ruleStore.put(rule);
    return c.json(rule);
  };

  return new Hono()
    .post('/', async (c) => {
      const input = await validRuleInput(c, deps.pool, deps.notificationTargets);
      const at = now();
      const rule = Rule.parse({ ...input, id: randomUUID(), createdAt: at, updatedAt: at });
      await deps.ruleStore.put(rule);
      deps.logger.info('rule created', { rule_id: rule.id });
      return c.json(rule, 201);
    })
    .get('/', async (c) => c.json({ items: await deps.ruleStore.list() }))
    .get('/:id', async (c) => c.json(await mustGet(c.req.param('id'))))
    .put('/:id', async (c) => {
      const existing = await mustGet(c.req.param('id'));
      const input = await validRuleInput(c, deps.pool, deps.notificationTargets);
      const rule = Rule.parse({ ...input, id: existing.id, createdAt: existing.createdAt, updatedAt: now() });
      await deps.ruleStore.put(rule);
      return c.json(rule);
    })
    .delete('/:id', async (c) => {
      if (!(await deps.ruleStore.delete(c.req.param('id')))) throw new RuleNotFoundError(c.req.param('id'));
      return c.body(null, 204);
    })
    .post('/:id/enable', setEnabled(true))
    .post('/:id/disable', setEnabled(false))
    .post('/:id/run', async (c) => {
      const rule = await mustGet(c.req.param('id'));
      // A rule stored before its registry stopped being declared: say so rather than 502.
      const refused = undeclaredProblems(deps.pool.egress?.declared, ruleRegistries(rule));
      if (refused.length > 0) throw new InvalidInputError('REGISTRY_NOT_ALLOWED', refused);
      // Listing happens through the queue in bounded steps: the answer does not wait for it.
      return c.json({ execution: { ...(await startRuleRun(rule, deps)), status: 'RUNNING' } }, 202);
    });
}
