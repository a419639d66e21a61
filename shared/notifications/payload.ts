/**
 * What a notification says. Built from the task record only: records carry no credentials, so
 * neither does a payload. `id` is stable per task and generation (per execution for roll-ups):
 * receivers may deduplicate on it, and the ledger sends each id at most once per target.
 */
import type { Task } from '../tasks/task.ts';

export const PAYLOAD_VERSION = 1;

export interface ImageInPayload {
  registry: string;
  repository: string;
  tag?: string;
  digest?: string;
}

export interface TaskNotification {
  version: typeof PAYLOAD_VERSION;
  id: string;
  event: 'task.succeeded' | 'task.skipped' | 'task.failed';
  occurredAt: string;
  task: {
    id: string;
    kind: string;
    generation: number;
    ruleId?: string;
    executionId?: string;
    status: Task['status'];
    attempts: number;
    source: ImageInPayload;
    destination: ImageInPayload;
    bytes?: number;
    reason?: string;
    error?: { code: string; message: string };
    link?: unknown;
    createdAt: string;
    pushedAt?: string;
    startedAt?: string;
    finishedAt?: string;
    durationMs?: number;
  };
}

/** An execution's roll-up, as its finish check (execution-check.ts) derives it once nothing is left to run. */
export interface ExecutionRollup {
  id: string;
  ruleId?: string;
  /**
   * The rules whose tasks the execution holds: a webhook delivery may match several rules, and
   * each one's `execution` policies hear of it.
   */
  ruleIds?: string[];
  /** Tasks by status (SUCCEEDED, SKIPPED, FAILED…). */
  counts: Partial<Record<Task['status'], number>>;
  bytes: number;
  startedAt: string;
  finishedAt: string;
}

export interface ExecutionNotification {
  version: typeof PAYLOAD_VERSION;
  id: string;
  event: 'execution.finished';
  occurredAt: string;
  execution: ExecutionRollup & { status: 'SUCCEEDED' | 'FAILED'; total: number };
}

export type Notification = TaskNotification | ExecutionNotification;

/** Fields other engineers' task records carry (links, executions), read when present. */
type TaskExtras = { executionId?: unknown; link?: unknown };

export function taskNotification(task: Task): TaskNotification {
  const extras = task as Task & TaskExtras;
  const result = task.result;
  return {
    version: PAYLOAD_VERSION,
    id: `task:${task.id}:${task.generation}`,
    event: task.status === 'FAILED' ? 'task.failed' : task.status === 'SKIPPED' ? 'task.skipped' : 'task.succeeded',
    occurredAt: task.finishedAt ?? task.updatedAt,
    task: {
      id: task.id,
      kind: task.kind,
      generation: task.generation,
      ...(task.ruleId ? { ruleId: task.ruleId } : {}),
      ...(typeof extras.executionId === 'string' ? { executionId: extras.executionId } : {}),
      status: task.status,
      attempts: task.attempts,
      source: image(task.source, result?.sourceDigest ?? task.source.digest),
      destination: image(task.destination, result?.digest),
      ...(result ? { bytes: result.bytes } : {}),
      ...(result?.reason ? { reason: result.reason } : {}),
      ...(task.error && task.status === 'FAILED' ? { error: task.error } : {}),
      ...(extras.link !== undefined ? { link: extras.link } : {}),
      createdAt: task.createdAt,
      ...(task.pushedAt ? { pushedAt: task.pushedAt } : {}),
      ...(task.startedAt ? { startedAt: task.startedAt } : {}),
      ...(task.finishedAt ? { finishedAt: task.finishedAt } : {}),
      ...(task.durationMs !== undefined ? { durationMs: task.durationMs } : {}),
    },
  };
}

export function executionNotification(rollup: ExecutionRollup): ExecutionNotification {
  const total = Object.values(rollup.counts).reduce((sum, n) => sum + (n ?? 0), 0);
  return {
    version: PAYLOAD_VERSION,
    id: `execution:${rollup.id}`,
    event: 'execution.finished',
    occurredAt: rollup.finishedAt,
    execution: { ...rollup, counts: { ...rollup.counts }, status: (rollup.counts.FAILED ?? 0) > 0 ? 'FAILED' : 'SUCCEEDED', total },
  };
}

function image(ref: { registry: string; repository: string; tag?: string | undefined }, digest: string | undefined): ImageInPayload {
  return { registry: ref.registry, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}), ...(digest ? { digest } : {}) };
}
