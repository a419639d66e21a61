/**
 * Running a rule over the images that exist already: list the repositories and tags in scope,
 * keep the tags the pattern matches, and create a task for each (tag, destination) whose
 * destination is missing or holds another digest. The task id includes the source digest, so
 * running the rule twice over unchanged images creates nothing new.
 */
import type { CallOptions } from '../oci/client.ts';
import { listRepositories } from '../oci/catalog.ts';
import { mapLimit } from '../oci/limiter.ts';
import { headManifest } from '../oci/manifests.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { RegistryError } from '../oci/registry-error.ts';
import { listTags } from '../oci/tags.ts';
import { isArtifactTag } from '../sync/plan.ts';
import type { NewTask } from '../tasks/task.ts';
import { destinationRepository, pathInScope, tagPatternOf } from './match.ts';
import { type Rule, sourcePath } from './rule.ts';

export interface RuleRunPlan {
  tasks: NewTask[];
  /** Tags in scope whose every destination already holds the same digest. */
  upToDate: number;
  considered: number;
}

const CONCURRENCY = 8;

export async function planRuleRun(rule: Rule, pool: RegistryPool, options: CallOptions = {}): Promise<RuleRunPlan> {
  const scope = sourcePath(rule.source);
  const source = pool.client(rule.source.registry, scope === '' ? undefined : scope);
  const repositories = rule.source.repository !== undefined
    ? [scope]
    : (await listRepositories(source, options)).filter((r) => pathInScope(rule, rule.source.registry, r) !== undefined);
  const pattern = tagPatternOf(rule);
  const images = (await mapLimit(repositories, CONCURRENCY, async (repository) =>
    (await tagsOf(pool, rule.source.registry, repository, options))
      .filter((tag) => !isArtifactTag(tag) && pattern.test(tag))
      .map((tag) => ({ repository, tag })),
  )).flat();

  const plan: RuleRunPlan = { tasks: [], upToDate: 0, considered: images.length };
  await mapLimit(images, CONCURRENCY, async ({ repository, tag }) => {
    const head = await headManifest(pool.client(rule.source.registry, repository), repository, tag, options);
    if (!head) return;
    const below = pathInScope(rule, rule.source.registry, repository)!;
    let missing = 0;
    for (const destination of rule.destinations) {
      const target = destinationRepository(rule, destination, below);
      const current = await headManifest(pool.client(destination.registry, target), target, tag, options);
      if (current?.digest === head.digest && rule.platforms.length === 0) continue;
      missing++;
      plan.tasks.push({
        kind: 'backfill',
        ruleId: rule.id,
        source: { registry: rule.source.registry, repository, tag },
        destination: { registry: destination.registry, repository: target, tag },
        options: { overwrite: rule.overwrite, platforms: rule.platforms, referrers: rule.referrers },
        identity: `digest:${head.digest}`,
      });
    }
    if (missing === 0) plan.upToDate++;
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
