/**
 * Which existing tags of a rule's source its tag pattern matches, and which it does not: what
 * the console shows while a rule is written. Bounded on every axis (repositories looked at,
 * tags shown per repository, time), because it runs on each keystroke against a registry that
 * may hold thousands of tags; the totals say what was left out.
 */
import type { CallOptions } from '../oci/client.ts';
import { listRepositories } from '../oci/catalog.ts';
import { mapLimit } from '../oci/limiter.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { RegistryError } from '../oci/registry-error.ts';
import { listTags } from '../oci/tags.ts';
import { isArtifactTag } from '../oci/artifact-tags.ts';
import { pathInScope } from './match.ts';
import { sourcePath, type Rule, type RuleSource } from './rule.ts';
import type { TagPattern } from '../patterns/tag-pattern.ts';

export const PREVIEW_MAX_REPOSITORIES = 10;
export const PREVIEW_MAX_TAGS = 60;

export interface RepositoryPreview {
  repository: string;
  /** Up to PREVIEW_MAX_TAGS of each, sorted. */
  matched: string[];
  unmatched: string[];
  matchedTotal: number;
  unmatchedTotal: number;
  /** Signature and attestation tags (`sha256-….sig`): never replicated as tags by a rule. */
  artifacts: number;
}

export interface RulePreview {
  repositories: RepositoryPreview[];
  /** Repositories in scope that were not looked at (over PREVIEW_MAX_REPOSITORIES). */
  repositoriesLeftOut: number;
}

export async function previewRule(source: RuleSource, pattern: TagPattern, pool: RegistryPool, options: CallOptions = {}): Promise<RulePreview> {
  const scope = sourcePath(source);
  const inScope = { source } as Pick<Rule, 'source'> as Rule;
  const all = source.repository !== undefined
    ? [scope]
    : (await listRepositories(pool.client(source.registry, scope === '' ? undefined : scope), options))
      .filter((r) => pathInScope(inScope, source.registry, r) !== undefined)
      .sort();
  const shown = all.slice(0, PREVIEW_MAX_REPOSITORIES);
  const repositories = await mapLimit(shown, 4, async (repository): Promise<RepositoryPreview> => {
    const tags = (await tagsOf(pool, source.registry, repository, options)).sort();
    const images = tags.filter((t) => !isArtifactTag(t));
    const matched = images.filter((t) => pattern.test(t));
    const unmatched = images.filter((t) => !pattern.test(t));
    return {
      repository,
      matched: matched.slice(0, PREVIEW_MAX_TAGS),
      unmatched: unmatched.slice(0, PREVIEW_MAX_TAGS),
      matchedTotal: matched.length,
      unmatchedTotal: unmatched.length,
      artifacts: tags.length - images.length,
    };
  });
  return { repositories, repositoriesLeftOut: all.length - shown.length };
}

/** A repository named by a rule but not pushed yet has no tags: an empty preview, not an error. */
async function tagsOf(pool: RegistryPool, registry: string, repository: string, options: CallOptions): Promise<string[]> {
  try {
    return await listTags(pool.client(registry, repository), repository, options);
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 404)) return [];
    throw error;
  }
}
