/**
 * Running a rule over the images that exist already, one repository at a time: list the
 * repository's tags, keep those the pattern matches, and plan each image against the rule's
 * destinations. A task is created for each (tag, destination) whose destination is missing or
 * holds another digest; its identity is the source digest, so running the rule twice over
 * unchanged images creates nothing new. rule-expansion.ts walks the catalog and calls this once
 * per repository, each in a queue message of its own.
 */
import type { CallOptions } from '../oci/client.ts';
import { isArtifactTag } from '../oci/artifact-tags.ts';
import { mapLimit } from '../oci/limiter.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { RegistryError } from '../oci/registry-error.ts';
import { listTags } from '../oci/tags.ts';
import { destinationRepository, pathInScope, tagPatternOf } from '../rules/match.ts';
import type { Rule } from '../rules/rule.ts';
import type { NewTask } from '../tasks/task.ts';
import { digestIdentity, planImage } from './plan-image.ts';

export interface RepositoryPlan {
  tasks: NewTask[];
  /** Tags in scope whose every destination already holds the same digest. */
  upToDate: number;
  considered: number;
}

const CONCURRENCY = 8;

export async function planRepository(rule: Rule, repository: string, pool: RegistryPool, executionId: string | undefined, options: CallOptions = {}): Promise<RepositoryPlan> {
  const below = pathInScope(rule, rule.source.registry, repository);
  if (below === undefined) return { tasks: [], upToDate: 0, considered: 0 };
  const pattern = tagPatternOf(rule);
  const tags = (await tagsOf(pool, rule.source.registry, repository, options)).filter((tag) => !isArtifactTag(tag) && pattern.test(tag));
  const plan: RepositoryPlan = { tasks: [], upToDate: 0, considered: tags.length };
  await mapLimit(tags, CONCURRENCY, async (tag) => {
    const planned = await planImage(pool, {
      source: { registry: rule.source.registry, repository, tag },
      destinations: rule.destinations.map((d) => ({ registry: d.registry, repository: destinationRepository(rule, d, below), tag })),
      platforms: rule.platforms,
    }, options);
    if (!planned) return;
    if (planned.outdated.length === 0) plan.upToDate++;
    for (const destination of planned.outdated) {
      plan.tasks.push({
        kind: 'backfill',
        ruleId: rule.id,
        source: { registry: rule.source.registry, repository, tag },
        destination,
        options: { overwrite: rule.overwrite, platforms: rule.platforms, referrers: rule.referrers },
        ...(executionId ? { executionId } : {}),
        identity: digestIdentity(planned.digest),
      });
    }
  });
  return plan;
}

/** A catalog may list repositories that hold blobs but no tag yet: those have nothing to copy. */
async function tagsOf(pool: RegistryPool, registry: string, repository: string, options: CallOptions): Promise<string[]> {
  try {
    return await listTags(pool.client(registry, repository), repository, options);
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return [];
    throw error;
  }
}
