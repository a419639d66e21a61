/**
 * Replication rules: which pushes to replicate (a whole registry, a namespace, or one repository,
 * and a tag pattern) and where to (one or more destinations). Schemas are strict: an unknown
 * field is named as a problem, not ignored.
 */
import { z } from 'zod';
import { isLoopbackRegistry } from '../oci/registry-options.ts';
import { normalizeRegistry, parseRepositoryName } from '../oci/reference.ts';
import { parsePlatforms } from '../oci/platform-spec.ts';
import { compileTagPattern } from '../patterns/tag-pattern.ts';
import { NotificationPolicy } from './rule-notifications.ts';

export const MAX_DESTINATIONS = 20;
export const MAX_DELETE_DELAY_SECONDS = 43_200;

const Registry = z.string().trim().min(1, 'registry is required').transform(normalizeRegistry);
const PATH = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/;
/** A repository path, or its leading part: lowercase components separated by `/`. */
const Path = z.string().trim().regex(PATH, 'lowercase path components separated by /');
/** A namespace; "" (or absent) is the registry's root. */
const Namespace = z.string().trim().refine((path) => path === '' || PATH.test(path), 'lowercase path components separated by /, or "" for the registry root').default('');

export const RuleSource = z
  .strictObject({
    registry: Registry,
    /**
     * Every repository under this path (namespace-level), unless `repository` narrows it; "" or
     * absent with no `repository`: every repository of the registry (registry-wide).
     */
    namespace: Namespace,
    /** One repository (repository-level): below `namespace`, or its whole name (`team/app`, `app`). */
    repository: Path.optional(),
  })
  // `repository: "team/app"` alone is `namespace: "team", repository: "app"`: one form to match,
  // and the same destination (`<destination namespace>/app`) whichever way it was written.
  .transform((source) => {
    const slash = source.repository?.lastIndexOf('/') ?? -1;
    if (source.namespace !== '' || slash === -1) return source;
    return { ...source, namespace: source.repository!.slice(0, slash), repository: source.repository!.slice(slash + 1) };
  });
export type RuleSource = z.infer<typeof RuleSource>;

export const RuleDestination = z.strictObject({
  registry: Registry,
  /** "" (or absent): repositories land at the registry's root. */
  namespace: Namespace,
  /** Rename: the destination repository for a repository-level rule (default: the source's name). */
  repository: Path.optional(),
});
export type RuleDestination = z.infer<typeof RuleDestination>;

/** What a client sends to create or replace a rule. */
export const RuleInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  source: RuleSource,
  /** RE2 syntax, matched against the whole tag. */
  tagPattern: z.string().max(1024).default('.*'),
  destinations: z.array(RuleDestination).min(1, 'at least one destination').max(MAX_DESTINATIONS),
  /** A mirror follows its source (as sync, subscriptions and Harbor's replication do). */
  overwrite: z.boolean().default(true),
  /** os/architecture[/variant]; empty: every platform (digests preserved). */
  platforms: z.array(z.string()).max(16).default([]),
  /** Copy signatures and attestations along. */
  referrers: z.boolean().default(true),
  /** Who to tell about this rule's tasks (targets declared in the service configuration). */
  notifications: z.array(NotificationPolicy).max(10).default([]),
  /**
   * Opt-in: a tag deleted at the source is removed at the destinations `delaySeconds` later (a
   * safety delay; at most 12 hours, SQS's longest visibility).
   */
  deletions: z.strictObject({
    enabled: z.boolean().default(false),
    delaySeconds: z.number().int().min(0).max(MAX_DELETE_DELAY_SECONDS).default(3600),
  }).prefault({}),
});
export type RuleInput = z.infer<typeof RuleInput>;

export const Rule = RuleInput.extend({
  id: z.string().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
});
export type Rule = z.infer<typeof Rule>;

/**
 * Problems zod cannot see: the pattern must compile under RE2, platforms must parse, and a
 * destination must not be the source itself.
 */
export function ruleProblems(rule: RuleInput): string[] {
  const problems: string[] = [];
  try {
    compileTagPattern(rule.tagPattern, { anchored: true });
  } catch (error) {
    problems.push(`tagPattern: ${(error as Error).message}`);
  }
  try {
    if (rule.platforms.length > 0) parsePlatforms(rule.platforms);
  } catch (error) {
    problems.push(`platforms: ${(error as Error).message}`);
  }
  const scope = sourcePath(rule.source);
  if (scope !== '') {
    try {
      parseRepositoryName(`${rule.source.registry}/${scope}`);
    } catch (error) {
      problems.push(`source: ${(error as Error).message}`);
    }
  }
  rule.destinations.forEach((destination, i) => {
    if (rule.source.repository === undefined && destination.repository !== undefined) {
      problems.push(`destinations.${i}.repository: renaming needs a repository-level source (source.repository)`);
    }
    if (!sameRegistry(destination.registry, rule.source.registry)) return;
    if (destination.namespace === rule.source.namespace && (destination.repository ?? rule.source.repository) === rule.source.repository) {
      problems.push(`destinations.${i}: the destination is the source itself`);
    } else if (rule.source.repository === undefined && (scope === '' || destination.namespace.startsWith(`${scope}/`))) {
      // Every copy would be a push the rule matches again: mirror/x, mirror/mirror/x, …
      problems.push(`destinations.${i}: the destination namespace "${destination.namespace}" lies inside the source's scope on the same registry, so each copy would trigger the rule again`);
    }
  });
  return problems;
}

/** The repository path a rule's source covers: "" (registry-wide), a namespace, or one repository. */
export function sourcePath(source: RuleSource): string {
  return joinPath(source.namespace, source.repository ?? '');
}

/** `a/b` from path parts, leaving out empty ones (the registry root). */
export function joinPath(...parts: string[]): string {
  return parts.filter((part) => part !== '').join('/');
}

/** The key rules are filed under: lowercase, and one name for every loopback alias of a port. */
export function registryKey(registry: string): string {
  const lower = normalizeRegistry(registry).toLowerCase();
  if (!isLoopbackRegistry(lower)) return lower;
  const port = /:(\d+)$/.exec(lower)?.[1];
  return port ? `127.0.0.1:${port}` : '127.0.0.1';
}

/** One registry under two names: case, and localhost/127.0.0.1 on the same port. */
export function sameRegistry(a: string, b: string): boolean {
  return registryKey(a) === registryKey(b);
}
