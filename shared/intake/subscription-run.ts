/**
 * One run of a subscription: list the source's tags, keep the pattern's, order them, take N, and
 * queue a task for each whose destination is missing or holds another digest. Each tag is its
 * own unit: one that cannot be read is an error in the run's record, not the end of the run.
 */
import { asCrossdockError } from '../errors.ts';
import type { CallOptions } from '../oci/client.ts';
import { instantExecution, newExecutionId } from '../executions/execution.ts';
import type { ExecutionStore } from '../executions/execution-store.ts';
import { isArtifactTag } from '../oci/artifact-tags.ts';
import { DOCKER_HUB } from '../oci/reference.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { listTags } from '../oci/tags.ts';
import { compileTagPattern } from '../patterns/tag-pattern.ts';
import { newestTags } from '../subscriptions/latest-tags.ts';
import { MAX_CACHED_DIGESTS, MAX_CANDIDATES, MAX_CANDIDATES_DOCKER_HUB, type Subscription, type SubscriptionRun } from '../subscriptions/subscription.ts';
import { enqueueTasks, type EnqueueDeps } from '../tasks/enqueue.ts';
import type { NewTask } from '../tasks/task.ts';
import { digestIdentity, planImage } from './plan-image.ts';

export interface RunDeps extends EnqueueDeps {
  pool: RegistryPool;
  /** Records each run as an execution; without it the run's tasks carry no execution. */
  executionStore?: ExecutionStore;
}

/** Tasks of a subscription carry this as their rule id, so `GET /tasks?rule=` finds them. */
export const subscriptionRuleId = (id: string) => `subscription:${id}`;

/** A run's record, and the build-time cache the next run starts from. */
export interface RunOutcome {
  run: SubscriptionRun;
  createdByDigest: Record<string, number>;
}

export async function runSubscription(subscription: Subscription, deps: RunDeps, options: CallOptions = {}): Promise<RunOutcome> {
  const started = (deps.now ?? (() => new Date()))();
  const executionId = deps.executionStore ? newExecutionId('subscription', started) : undefined;
  const errors: string[] = [];
  const { source, destination } = subscription;
  const src = deps.pool.client(source.registry, source.repository);
  const pattern = compileTagPattern(subscription.tagPattern, { anchored: true });
  const cache = { ...subscription.createdByDigest };
  const record = (fields: Partial<SubscriptionRun>): RunOutcome => ({
    run: { at: started.toISOString(), considered: 0, enqueued: 0, upToDate: 0, tasks: [], errors, durationMs: Date.now() - started.getTime(), ...fields },
    createdByDigest: Object.fromEntries(Object.entries(cache).slice(-MAX_CACHED_DIGESTS)),
  });

  let tags: string[];
  try {
    tags = (await listTags(src, source.repository, options)).filter((t) => !isArtifactTag(t) && pattern.test(t));
  } catch (error) {
    errors.push(`list tags of ${source.registry}/${source.repository}: ${asCrossdockError(error).message}`);
    return record({});
  }
  const newest = await newestTags(src, source.repository, tags, subscription.order, subscription.latest, {
    ...options,
    cache,
    maxCandidates: source.registry === DOCKER_HUB ? MAX_CANDIDATES_DOCKER_HUB : MAX_CANDIDATES,
  });
  const work: NewTask[] = [];
  let upToDate = 0;
  for (const image of newest) {
    try {
      const planned = await planImage(deps.pool, {
        source: { registry: source.registry, repository: source.repository, tag: image.tag, digest: image.digest },
        destinations: [{ registry: destination.registry, repository: destination.repository, tag: image.tag }],
        platforms: subscription.platforms,
      }, options);
      if (!planned || planned.outdated.length === 0) {
        upToDate++;
        continue;
      }
      work.push({
        kind: 'subscription',
        ruleId: subscriptionRuleId(subscription.id),
        source: { registry: source.registry, repository: source.repository, tag: image.tag, digest: image.digest },
        destination: { registry: destination.registry, repository: destination.repository, tag: image.tag },
        options: { overwrite: subscription.overwrite, platforms: subscription.platforms, referrers: true },
        pushedAt: new Date(image.created ?? started.getTime()).toISOString(),
        ...(executionId ? { executionId } : {}),
        identity: digestIdentity(image.digest),
      });
    } catch (error) {
      errors.push(`${image.tag}: ${asCrossdockError(error).message}`);
    }
  }
  const tasks = await enqueueTasks(deps, work);
  if (deps.executionStore && executionId) {
    // Recorded once its tasks exist: the execution is fully listed when it appears.
    await deps.executionStore.create({ ...instantExecution(executionId, 'subscription', started, { subscriptionId: subscription.id }), expandedAt: (deps.now ?? (() => new Date()))().toISOString() });
  }
  deps.logger.info('subscription run', { subscription_id: subscription.id, considered: tags.length, newest: newest.length, enqueued: tasks.filter((t) => t.created).length, up_to_date: upToDate, errors: errors.length });
  return record({ considered: tags.length, enqueued: tasks.filter((t) => t.created).length, upToDate, tasks: tasks.map((t) => t.id), ...(executionId ? { executionId } : {}) });
}
