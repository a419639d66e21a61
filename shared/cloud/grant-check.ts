/**
 * The grant check a route makes when a rule, subscription or manual sync names a destination in
 * another account: assume the role now and check it may push, so a missing grant is refused at
 * once with what is missing, not found later by a failing task.
 */
import type { RegistryPool } from '../oci/registry-pool.ts';
import { joinPath, type RuleInput } from '../rules/rule.ts';

/** A destination as a route names it: the field to blame, the registry, the repository pushed to. */
export type NamedDestination = readonly [field: string, registry: string, repository: string];

/** One problem per destination whose grant is missing, prefixed by its field; [] when all may push. */
export async function grantProblems(pool: RegistryPool, destinations: readonly NamedDestination[], requester: string): Promise<string[]> {
  const checks = destinations.map(async ([field, registry, repository]) => {
    const provider = pool.provider(registry, repository);
    if (!provider?.checkPush) return [];
    const problems = await provider.checkPush(repository, requester);
    return problems.map((problem) => `${field}: ${problem}`);
  });
  return (await Promise.all(checks)).flat();
}

/** Stands for the repositories a namespace-level rule will create under its destination namespace. */
export const GRANT_PROBE_REPOSITORY = 'crossdock-grant-check';

/** A rule's destinations as the grant check names them: the repository it pushes to, or a probe under its namespace. */
export function ruleDestinations(rule: RuleInput): NamedDestination[] {
  return rule.destinations.map((d, i) => [`destinations.${i}`, d.registry, joinPath(d.namespace, d.repository ?? rule.source.repository ?? GRANT_PROBE_REPOSITORY)] as const);
}
