/**
 * A subscription run as an execution, listed through the task queue in bounded steps like a rule
 * run (rule-expansion.ts), so a source with any number of tags is handled within a Lambda's time:
 * `POST /subscriptions/:id/run` and the scheduled function only record the execution and send
 * its first step.
 *
 * - `tags`: one page of the source repository's tag list (1,000 tags). The page's matching tags
 *   join the candidates kept so far (bounded: the last 500 listed by push time, the N highest by
 *   version; see keepCandidates), which travel on in the next page's step, or in the `plan` step
 *   after the last page.
 * - `plan`: the N newest candidates (a HEAD each, and a manifest and config read per digest not
 *   seen before: at most 500 candidates, whatever the list's length), each planned against the
 *   destination (HEAD source, HEAD destination); tasks for those missing or holding another
 *   digest. The run is then recorded on the subscription (`lastRun`, the build-time cache).
 *
 * Every step is idempotent under redelivery: a tag page counts once (its record is conditioned on
 * the page number), the plan counts once (a marker item), its tasks have deterministic ids, and
 * only the plan that counted writes `lastRun`. A step for a run whose listing has ended does
 * nothing at all.
 *
 * The execution's counters: `catalogPages` counts tag pages read, `catalogDone` the last one
 * read, `repositories`/`repositoriesDone` the one plan (1 once the list is read), `considered`
 * the matching tags, `upToDate` the chosen tags whose destination already holds them.
 */
import { asCrossdockError, CrossdockError } from '../errors.ts';
import { newExecutionId, type Execution } from '../executions/execution.ts';
import type { ExecutionStore } from '../executions/execution-store.ts';
import { isArtifactTag } from '../oci/artifact-tags.ts';
import type { CallOptions } from '../oci/client.ts';
import { DOCKER_HUB } from '../oci/reference.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { firstTagPage, listTagPage, MAX_TAG_PAGES } from '../oci/tags.ts';
import { compileTagPattern } from '../patterns/tag-pattern.ts';
import type { SubscriptionStep, SubscriptionStepMessage } from '../queue/queue.ts';
import { keepCandidates, newestTags } from '../subscriptions/latest-tags.ts';
import { MAX_CACHED_DIGESTS, MAX_CANDIDATES, MAX_CANDIDATES_DOCKER_HUB, type Subscription, type SubscriptionRun } from '../subscriptions/subscription.ts';
import type { SubscriptionStore } from '../subscriptions/subscription-store.ts';
import { enqueueTasks, type EnqueueDeps } from '../tasks/enqueue.ts';
import type { NewTask } from '../tasks/task.ts';
import { digestIdentity, planImage } from './plan-image.ts';
import { sendSteps } from './rule-expansion.ts';

/** Tasks of a subscription carry this as their rule id, so `GET /tasks?rule=` finds them. */
export const subscriptionRuleId = (id: string) => `subscription:${id}`;

export interface SubscriptionRunDeps extends EnqueueDeps {
  executionStore: ExecutionStore;
  /** Tags per page asked of the registry (default 1,000; a test's seam for many pages). */
  tagPageSize?: number;
}

export interface SubscriptionStepDeps extends SubscriptionRunDeps {
  pool: RegistryPool;
  subscriptionStore: SubscriptionStore;
  /** Receives after which a failing step is recorded as the run's error instead of retried. */
  maxReceiveCount: number;
}

/** The one marker of a run's plan: it counts once, and so does a run that ended in an error. */
const PLAN = '#plan';

const maxCandidatesOf = (subscription: Subscription) => (subscription.source.registry === DOCKER_HUB ? MAX_CANDIDATES_DOCKER_HUB : MAX_CANDIDATES);

/** Records the execution and queues the first tag page; the listing happens in the worker. */
export async function startSubscriptionRun(subscription: Subscription, deps: SubscriptionRunDeps): Promise<Execution> {
  const now = (deps.now ?? (() => new Date()))();
  const execution: Execution = {
    id: newExecutionId('subscription', now),
    kind: 'subscription',
    subscriptionId: subscription.id,
    createdAt: now.toISOString(),
    expansion: { repositories: 0, repositoriesDone: 0, catalogDone: false, catalogPages: 0, considered: 0, upToDate: 0, errors: 0 },
  };
  await deps.executionStore.create(execution);
  await sendSteps(deps, [message(execution.id, subscription.id, { kind: 'tags', page: 0, path: firstTagPage(subscription.source.repository, deps.tagPageSize), considered: 0, candidates: [] })]);
  deps.logger.info('subscription run started', { subscription_id: subscription.id, execution_id: execution.id });
  return execution;
}

/** Handles one step; throws (retryable) to have the message delivered again. */
export async function subscriptionStep(body: SubscriptionStepMessage['subscriptionRun'], receiveCount: number, deps: SubscriptionStepDeps, options: CallOptions = {}): Promise<void> {
  const { executionId, subscriptionId, step } = body;
  const log = deps.logger.child({ execution_id: executionId, subscription_id: subscriptionId });
  const execution = await deps.executionStore.get(executionId);
  if (!execution) {
    log.warn('subscription step for an unknown execution', { step: step.kind });
    return;
  }
  // Duplicates: the run is listed already, or this page was read before.
  if (execution.expandedAt !== undefined) return;
  if (step.kind === 'tags' && execution.expansion.catalogPages > step.page) return;
  const subscription = await deps.subscriptionStore.get(subscriptionId);
  try {
    if (!subscription) throw new CrossdockError('SUBSCRIPTION_NOT_FOUND', `subscription ${subscriptionId} was deleted during its run`);
    if (step.kind === 'tags') await tagsStep(subscription, execution, step, deps, options);
    else await planStep(subscription, execution, step, deps, options);
  } catch (thrown) {
    const error = asCrossdockError(thrown);
    if (error.retryable && receiveCount < deps.maxReceiveCount) throw error;
    // Given up: the run ends with its error, so the execution can still finish.
    log.error('subscription step failed', { step: step.kind, code: error.code, error: error.message });
    const what = step.kind === 'tags' && subscription ? `list tags of ${subscription.source.registry}/${subscription.source.repository}: ` : '';
    if (step.kind === 'tags') await deps.executionStore.recordCatalogPage(executionId, step.page, 1, true);
    const first = await deps.executionStore.recordRepositoryDone(executionId, PLAN, { error: `${what}${error.message}` });
    if (first && subscription) {
      await recordRun(deps, subscriptionId, runRecord(execution, deps, { considered: step.considered, errors: [`${what}${error.message}`] }));
    }
  }
  await deps.executionStore.markExpandedIfDone(executionId, (deps.now ?? (() => new Date()))());
}

async function tagsStep(subscription: Subscription, execution: Execution, step: Extract<SubscriptionStep, { kind: 'tags' }>, deps: SubscriptionStepDeps, options: CallOptions): Promise<void> {
  const { source } = subscription;
  const page = await listTagPage(deps.pool.client(source.registry, source.repository), source.repository, step.path, options);
  const pattern = compileTagPattern(subscription.tagPattern, { anchored: true });
  const matching = page.tags.filter((t) => !isArtifactTag(t) && pattern.test(t));
  const considered = step.considered + matching.length;
  const candidates = keepCandidates(step.candidates, matching, subscription.order, subscription.latest, maxCandidatesOf(subscription));
  const last = page.next === undefined || step.page + 1 >= MAX_TAG_PAGES;
  const next: SubscriptionStep = last ? { kind: 'plan', considered, candidates } : { kind: 'tags', page: step.page + 1, path: page.next!, considered, candidates };
  // Sent before the page is recorded: a crash in between redelivers this page, whose next step
  // is sent again (and counts once); recorded first, a crash would lose it.
  await sendSteps(deps, [message(execution.id, subscription.id, next)]);
  await deps.executionStore.recordCatalogPage(execution.id, step.page, last ? 1 : 0, last);
  deps.logger.info('tag page listed', { execution_id: execution.id, subscription_id: subscription.id, page: step.page, tags: page.tags.length, matching: matching.length, last });
}

async function planStep(subscription: Subscription, execution: Execution, step: Extract<SubscriptionStep, { kind: 'plan' }>, deps: SubscriptionStepDeps, options: CallOptions): Promise<void> {
  const { source, destination } = subscription;
  const cache = { ...subscription.createdByDigest };
  const newest = await newestTags(deps.pool.client(source.registry, source.repository), source.repository, step.candidates, subscription.order, subscription.latest, {
    ...options,
    cache,
    maxCandidates: maxCandidatesOf(subscription),
  });
  const errors: string[] = [];
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
        pushedAt: new Date(image.created ?? Date.parse(execution.createdAt)).toISOString(),
        executionId: execution.id,
        identity: digestIdentity(image.digest),
      });
    } catch (error) {
      errors.push(`${image.tag}: ${asCrossdockError(error).message}`);
    }
  }
  const tasks = await enqueueTasks(deps, work);
  // Every task the run asked for, new or still queued from before: a duplicate plan racing this
  // one may have created some of them, and either may be the one that records the run.
  const enqueued = tasks.length;
  // Only the plan that counts records the run.
  if (await deps.executionStore.recordRepositoryDone(execution.id, PLAN, { considered: step.considered, upToDate })) {
    const run = runRecord(execution, deps, { considered: step.considered, enqueued, upToDate, tasks: tasks.map((t) => t.id), errors });
    await recordRun(deps, subscription.id, run, Object.fromEntries(Object.entries(cache).slice(-MAX_CACHED_DIGESTS)));
  }
  deps.logger.info('subscription run', { execution_id: execution.id, subscription_id: subscription.id, considered: step.considered, newest: newest.length, enqueued, up_to_date: upToDate, errors: errors.length });
}

function runRecord(execution: Execution, deps: EnqueueDeps, fields: Partial<SubscriptionRun>): SubscriptionRun {
  const now = (deps.now ?? (() => new Date()))();
  return { at: execution.createdAt, considered: 0, enqueued: 0, upToDate: 0, tasks: [], errors: [], ...fields, durationMs: Math.max(0, now.getTime() - Date.parse(execution.createdAt)), executionId: execution.id };
}

/** The run on the subscription as it is now (a PUT during the run keeps its changes). */
async function recordRun(deps: SubscriptionStepDeps, id: string, lastRun: SubscriptionRun, createdByDigest?: Record<string, number>): Promise<void> {
  const current = await deps.subscriptionStore.get(id);
  if (!current) return;
  await deps.subscriptionStore.put({ ...current, lastRun, ...(createdByDigest ? { createdByDigest } : {}) });
}

function message(executionId: string, subscriptionId: string, step: SubscriptionStep): SubscriptionStepMessage {
  return { subscriptionRun: { executionId, subscriptionId, step } };
}
