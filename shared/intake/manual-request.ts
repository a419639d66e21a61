/**
 * A manual request (`POST /sync`): replicate one image now, to one or more destinations
 * (renamed if wanted). Every problem with the request is named at once; each request is new
 * work, so asking again later replicates again.
 */
import { z } from 'zod';
import { grantProblems } from '../cloud/grant-check.ts';
import { InvalidInputError } from '../errors.ts';
import { instantExecution, newExecutionId } from '../executions/execution.ts';
import type { ExecutionStore } from '../executions/execution-store.ts';
import { undeclaredProblems } from '../oci/egress-policy.ts';
import { parsePlatforms } from '../oci/platform-filter.ts';
import { parseReference, type Reference } from '../oci/reference.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { enqueueTasks, type EnqueueDeps, type EnqueuedTask } from '../tasks/enqueue.ts';
import type { NewTask } from '../tasks/task.ts';

export const SyncRequest = z.strictObject({
  /** `registry/repository:tag` or `…@sha256:…`. */
  source: z.string().min(1),
  /** `registry/repository[:tag]` each; the tag defaults to the source's. */
  destinations: z.array(z.string().min(1)).min(1).max(20),
  overwrite: z.boolean().default(false),
  platforms: z.array(z.string()).default([]),
  referrers: z.boolean().default(true),
});
export type SyncRequest = z.infer<typeof SyncRequest>;

export interface ManualIntakeDeps extends EnqueueDeps {
  pool: RegistryPool;
  executionStore: ExecutionStore;
}

/** The tasks a request asks for, or InvalidInputError naming every problem. */
export async function tasksForRequest(request: SyncRequest, pool: RegistryPool, at: Date, executionId?: string): Promise<NewTask[]> {
  const problems: string[] = [];
  const reference = (text: string, field: string): Reference | undefined => {
    try {
      return parseReference(text);
    } catch (error) {
      problems.push(`${field}: ${(error as Error).message}`);
      return undefined;
    }
  };
  const source = reference(request.source, 'source');
  if (source && source.tag === undefined && source.digest === undefined) problems.push('source: name a tag or a digest');
  const destinations = request.destinations.map((d, i) => {
    const ref = reference(d, `destinations.${i}`);
    if (ref?.digest) problems.push(`destinations.${i}: a destination names a tag, not a digest`);
    if (ref && source && ref.tag === undefined && source.tag === undefined) problems.push(`destinations.${i}: name a tag (the source has none)`);
    return ref;
  });
  try {
    if (request.platforms.length > 0) parsePlatforms(request.platforms);
  } catch (error) {
    problems.push(`platforms: ${(error as Error).message}`);
  }
  problems.push(...undeclaredProblems(pool.egress?.declared, [
    ...(source ? [['source', source.registry] as const] : []),
    ...destinations.flatMap((d, i) => (d ? [[`destinations.${i}`, d.registry] as const] : [])),
  ]));
  // A destination in another account: its grant is checked now (the role assumed, the push allowed).
  problems.push(...(await grantProblems(pool, destinations.flatMap((d, i) => (d ? [[`destinations.${i}`, d.registry, d.repository] as const] : [])), 'sync')));
  if (problems.length > 0 || !source) throw new InvalidInputError('REQUEST_INVALID', problems);
  return destinations.map((d) => ({
    kind: 'manual' as const,
    source,
    destination: { registry: d!.registry, repository: d!.repository, ...((d!.tag ?? source.tag) ? { tag: d!.tag ?? source.tag } : {}) },
    options: { overwrite: request.overwrite, platforms: request.platforms, referrers: request.referrers },
    pushedAt: at.toISOString(),
    ...(executionId ? { executionId } : {}),
    identity: `request:${at.toISOString()}`,
  }));
}

/** A manual request is an execution of its own, created in one go. */
export async function acceptRequest(deps: ManualIntakeDeps, request: SyncRequest): Promise<{ execution: string; tasks: EnqueuedTask[] }> {
  const at = (deps.now ?? (() => new Date()))();
  const execution = newExecutionId('manual', at);
  const work = await tasksForRequest(request, deps.pool, at, execution);
  await deps.executionStore.create(instantExecution(execution, 'manual', at));
  return { execution, tasks: await enqueueTasks({ ...deps, now: () => at }, work) };
}
