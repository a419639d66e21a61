/**
 * Running a rule over the images that exist already: list the repositories and tags in scope,
 * keep the tags the pattern matches, and plan each image against the rule's destinations. A task
 * is created for each (tag, destination) whose destination is missing or holds another digest;
 * its identity is the source digest, so running the rule twice over unchanged images creates
 * nothing new.
 */
import type { CallOptions } from '../oci/client.ts';
import { isArtifactTag } from '../oci/artifact-tags.ts';
import { listRepositories } from '../oci/catalog.ts';
import { mapLimit } from '../oci/limiter.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { RegistryError } from '../oci/registry-error.ts';
import { listTags } from '../oci/tags.ts';
import { destinationRepository, pathInScope, tagPatternOf } from '../rules/match.ts';
import { type Rule, sourcePath } from '../rules/rule.ts';
import { enqueueTasks, type EnqueueDeps, type EnqueuedTask } from '../tasks/enqueue.ts';
import type { NewTask } from '../tasks/task.ts';
import { digestIdentity, planImage } from './plan-image.ts';

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
    const below = pathInScope(rule, rule.source.registry, repository)!;
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
        identity: digestIdentity(planned.digest),
      });
    }
  });
  return plan;
}

/** Plans a rule run and enqueues its tasks (`POST /rules/:id/run`). */
export async function runRule(rule: Rule, deps: EnqueueDeps & { pool: RegistryPool }, options: CallOptions = {}): Promise<{ considered: number; upToDate: number; tasks: EnqueuedTask[] }> {
  const plan = await planRuleRun(rule, deps.pool, options);
  const tasks = await enqueueTasks(deps, plan.tasks);
  deps.logger.info('rule run', { rule_id: rule.id, considered: plan.considered, up_to_date: plan.upToDate, tasks: tasks.length });
  return { considered: plan.considered, upToDate: plan.upToDate, tasks };
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
