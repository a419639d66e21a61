/**
 * The grant check a route makes when a rule, subscription or manual sync names a destination in
 * another account: assume the role now and check it may push, so a missing grant is refused at
 * once with what is missing, not found later by a failing task.
 */
import type { RegistryPool } from '../oci/registry-pool.ts';

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
