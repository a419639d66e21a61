/**
 * A rule run as an execution: `POST /rules/:id/run` records the execution and sends its first
 * listing step, and answers at once. The steps go through the task queue and the worker function:
 * one catalog page per message (which sends a step per repository in scope and the next page),
 * one repository's tags per message (which plans and enqueues that repository's tasks). So a
 * namespace of any size is listed in bounded pieces, each well within a Lambda's time.
 *
 * Every step is idempotent under redelivery: a catalog page counts once (its record is
 * conditioned on the page number), a repository counts once (a marker item), and the tasks it
 * creates have deterministic ids. The execution is fully listed once the last catalog page is
 * read and every repository it named is done.
 */
import { asCrossdockError } from '../errors.ts';
import { newExecutionId, type Execution } from '../executions/execution.ts';
import type { ExecutionStore } from '../executions/execution-store.ts';
import type { CallOptions } from '../oci/client.ts';
import { FIRST_CATALOG_PAGE, listRepositoryPage } from '../oci/catalog.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { CrossdockError } from '../errors.ts';
import type { ExpansionMessage, ExpansionStep, ListingMessage } from '../queue/queue.ts';
import { pathInScope } from '../rules/match.ts';
import { type Rule, sourcePath } from '../rules/rule.ts';
import type { RuleStore } from '../rules/rule-store.ts';
import { enqueueTasks, type EnqueueDeps } from '../tasks/enqueue.ts';
import { planRepository } from './rule-run.ts';

export interface RuleRunDeps extends EnqueueDeps {
  executionStore: ExecutionStore;
}

export interface ExpansionDeps extends RuleRunDeps {
  pool: RegistryPool;
  ruleStore: RuleStore;
  /** Receives after which a failing step is recorded as an error instead of retried. */
  maxReceiveCount: number;
}

/** Records the execution and queues its first step; the listing happens in the worker. */
export async function startRuleRun(rule: Rule, deps: RuleRunDeps): Promise<Execution> {
  const now = (deps.now ?? (() => new Date()))();
  const single = rule.source.repository !== undefined;
  const execution: Execution = {
    id: newExecutionId('rule', now),
    kind: 'rule',
    ruleId: rule.id,
    createdAt: now.toISOString(),
    // A repository-level rule has no catalog to read: its one repository is known.
    expansion: { repositories: single ? 1 : 0, repositoriesDone: 0, catalogDone: single, catalogPages: single ? 1 : 0, considered: 0, upToDate: 0, errors: 0 },
  };
  await deps.executionStore.create(execution);
  const step: ExpansionStep = single ? { kind: 'repository', repository: sourcePath(rule.source) } : { kind: 'catalog', page: 0, path: FIRST_CATALOG_PAGE };
  await sendSteps(deps, [{ expand: { executionId: execution.id, ruleId: rule.id, step } }]);
  deps.logger.info('rule run started', { rule_id: rule.id, execution_id: execution.id });
  return execution;
}

/** Handles one listing step; throws (retryable) to have the message delivered again. */
export async function expandStep(message: ExpansionMessage['expand'], receiveCount: number, deps: ExpansionDeps, options: CallOptions = {}): Promise<void> {
  const { executionId, ruleId, step } = message;
  const log = deps.logger.child({ execution_id: executionId, rule_id: ruleId });
  const execution = await deps.executionStore.get(executionId);
  if (!execution) {
    log.warn('listing step for an unknown execution', { step: step.kind });
    return;
  }
  if (step.kind === 'catalog' && execution.expansion.catalogPages > step.page) return; // a duplicate
  const rule = await deps.ruleStore.get(ruleId);
  try {
    if (!rule) throw new CrossdockError('RULE_NOT_FOUND', `rule ${ruleId} was deleted during its run`);
    if (step.kind === 'catalog') await catalogStep(rule, execution, step, deps, options);
    else await repositoryStep(rule, execution, step.repository, deps, options);
  } catch (thrown) {
    const error = asCrossdockError(thrown);
    if (error.retryable && receiveCount < deps.maxReceiveCount) throw error;
    // Given up: the step counts as done with its error, so the execution can still finish.
    log.error('listing step failed', { step: step.kind, code: error.code, error: error.message });
    if (step.kind === 'catalog') {
      await deps.executionStore.recordCatalogPage(executionId, step.page, 1, true);
      await deps.executionStore.recordRepositoryDone(executionId, `#catalog-page-${step.page}`, { error: `catalog page ${step.page}: ${error.message}` });
    } else {
      await deps.executionStore.recordRepositoryDone(executionId, step.repository, { error: `${step.repository}: ${error.message}` });
    }
  }
  await deps.executionStore.markExpandedIfDone(executionId, (deps.now ?? (() => new Date()))());
}

async function catalogStep(rule: Rule, execution: Execution, step: Extract<ExpansionStep, { kind: 'catalog' }>, deps: ExpansionDeps, options: CallOptions): Promise<void> {
  const scope = sourcePath(rule.source);
  const client = deps.pool.client(rule.source.registry, scope === '' ? undefined : scope);
  const page = await listRepositoryPage(client, step.path, options);
  const inScope = page.repositories.filter((r) => pathInScope(rule, rule.source.registry, r) !== undefined);
  const steps: ExpansionMessage[] = inScope.map((repository) => ({ expand: { executionId: execution.id, ruleId: rule.id, step: { kind: 'repository', repository } } }));
  if (page.next) steps.push({ expand: { executionId: execution.id, ruleId: rule.id, step: { kind: 'catalog', page: step.page + 1, path: page.next } } });
  // Sent before the page is recorded: a crash in between redelivers this page, whose steps are
  // sent again (each counts once); recorded first, a crash would lose them.
  await sendSteps(deps, steps);
  await deps.executionStore.recordCatalogPage(execution.id, step.page, inScope.length, page.next === undefined);
  deps.logger.info('catalog page listed', { execution_id: execution.id, page: step.page, repositories: inScope.length, last: page.next === undefined });
}

async function repositoryStep(rule: Rule, execution: Execution, repository: string, deps: ExpansionDeps, options: CallOptions): Promise<void> {
  const plan = await planRepository(rule, repository, deps.pool, execution.id, options);
  const tasks = await enqueueTasks(deps, plan.tasks);
  await deps.executionStore.recordRepositoryDone(execution.id, repository, { considered: plan.considered, upToDate: plan.upToDate });
  deps.logger.info('repository listed', { execution_id: execution.id, repository, considered: plan.considered, up_to_date: plan.upToDate, tasks: tasks.length, created: tasks.filter((t) => t.created).length });
}

/** Sends listing steps (of rule and subscription runs) through the task queue. */
export async function sendSteps(deps: EnqueueDeps, steps: ListingMessage[]): Promise<void> {
  if (steps.length === 0) return;
  if (!deps.queue.sendExpansion) throw new CrossdockError('QUEUE_SEND_FAILED', 'this queue cannot carry listing steps');
  await deps.queue.sendExpansion(steps);
}
