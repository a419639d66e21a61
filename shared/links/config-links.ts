/**
 * Links written in the local configuration file (issue 13): the operator's own, so their route
 * targets are declared by being written there. Each is stored under its key as id when the
 * runtime starts (created, or replaced keeping its creation time), so the API lists it and the
 * workers use it like any other.
 */
import { InvalidInputError } from '../errors.ts';
import { Link, linkProblems, routeTargets, type LinkInput } from './link.ts';
import { LinkConflictError, type LinkStore } from './link-store.ts';

/** The `host:port` targets of the configured routes: declared, as the operator wrote them. */
export function configuredRouteTargets(links: Record<string, LinkInput>): string[] {
  return Object.values(links).flatMap((link) => routeTargets(link.route).map(([, authority]) => authority));
}

export async function storeConfigLinks(store: LinkStore, links: Record<string, LinkInput>, now: Date): Promise<void> {
  const problems = Object.entries(links).flatMap(([id, link]) => linkProblems(link).map((p) => `links.${id}.${p}`));
  if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  for (const [id, input] of Object.entries(links)) {
    const existing = await store.get(id);
    const at = now.toISOString();
    try {
      await store.put(Link.parse({ ...input, id, createdAt: existing?.createdAt ?? at, updatedAt: at }));
    } catch (error) {
      if (error instanceof LinkConflictError) throw new InvalidInputError('CONFIG_INVALID', `links.${id}: ${error.message}`);
      throw error;
    }
  }
}
