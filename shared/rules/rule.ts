/**
 * Replication rules: which pushes to replicate (a namespace, or one repository, and a tag
 * pattern) and where to (one or more destinations). Schemas are strict: an unknown field is
 * named as a problem, not ignored.
 */
import { z } from 'zod';
import { isLoopbackRegistry } from '../oci/registry-options.ts';
import { normalizeRegistry, parseRepositoryName } from '../oci/reference.ts';
import { parsePlatforms } from '../oci/platform-filter.ts';
import { compileTagPattern } from './tag-pattern.ts';

export const MAX_DESTINATIONS = 20;

const Registry = z.string().trim().min(1, 'registry is required').transform(normalizeRegistry);
/** A repository path, or its leading part: lowercase components separated by `/`. */
const Path = z.string().trim().regex(/^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*$/, 'lowercase path components separated by /');

export const RuleSource = z.strictObject({
  registry: Registry,
  /** Every repository under this path (namespace-level), unless `repository` narrows it. */
  namespace: Path,
  /** One repository inside the namespace (repository-level rule). */
  repository: Path.optional(),
});
export type RuleSource = z.infer<typeof RuleSource>;

export const RuleDestination = z.strictObject({
  registry: Registry,
  namespace: Path,
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
  overwrite: z.boolean().default(false),
  /** os/architecture[/variant]; empty: every platform (digests preserved). */
  platforms: z.array(z.string()).max(16).default([]),
  /** Copy signatures and attestations along. */
  referrers: z.boolean().default(true),
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
  for (const path of [rule.source.repository ? `${rule.source.namespace}/${rule.source.repository}` : rule.source.namespace]) {
    try {
      parseRepositoryName(`${rule.source.registry}/${path}`);
    } catch (error) {
      problems.push(`source: ${(error as Error).message}`);
    }
  }
  rule.destinations.forEach((destination, i) => {
    if (rule.source.repository === undefined && destination.repository !== undefined) {
      problems.push(`destinations.${i}.repository: renaming needs a repository-level source (source.repository)`);
    }
    if (sameRegistry(destination.registry, rule.source.registry) && destination.namespace === rule.source.namespace && (destination.repository ?? rule.source.repository) === rule.source.repository) {
      problems.push(`destinations.${i}: the destination is the source itself`);
    }
  });
  return problems;
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
