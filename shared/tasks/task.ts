/**
 * A task copies one image to one destination. Its id is derived from what it does, so the same
 * push delivered twice, or the same rule run twice over an unchanged image, is one task.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { BlobProgress } from '../oci/blob-progress.ts';
import { LinkRef } from '../links/link.ts';
import { formatReference } from '../oci/reference.ts';

/** QUEUED: waiting for a slot on its link (issue 13); its message comes back every few seconds. */
export const TaskStatus = z.enum(['PENDING', 'QUEUED', 'RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED']);
export type TaskStatus = z.infer<typeof TaskStatus>;
export const FINISHED: ReadonlySet<TaskStatus> = new Set(['SUCCEEDED', 'SKIPPED', 'FAILED']);

/** `delete`: a tag deleted at the source, removed at the destination (rules that replicate deletions). */
export const TaskKind = z.enum(['push', 'manual', 'backfill', 'subscription', 'delete']);
export type TaskKind = z.infer<typeof TaskKind>;

const ImageRef = z.strictObject({
  registry: z.string().min(1),
  repository: z.string().min(1),
  tag: z.string().min(1).optional(),
  digest: z.string().min(1).optional(),
});

export const TaskOptions = z.strictObject({
  overwrite: z.boolean(),
  platforms: z.array(z.string()),
  referrers: z.boolean(),
});
export type TaskOptions = z.infer<typeof TaskOptions>;

export const TaskResult = z.strictObject({
  sourceDigest: z.string(),
  digest: z.string(),
  digestPreserved: z.boolean(),
  bytes: z.number().int().nonnegative(),
  manifests: z.number().int().nonnegative(),
  blobs: z.strictObject({ copied: z.number().int(), mounted: z.number().int(), skipped: z.number().int() }),
  referrers: z.number().int().nonnegative(),
  reason: z.string().optional(),
});
export type TaskResult = z.infer<typeof TaskResult>;

/** Live progress of a RUNNING copy (refreshed every few seconds; blobs counted as they are reached). */
export const TaskProgress = z.strictObject({
  bytesDone: z.number().int().nonnegative(),
  bytesTotal: z.number().int().nonnegative(),
  blobsDone: z.number().int().nonnegative(),
  blobsTotal: z.number().int().nonnegative(),
  bytesPerSecond: z.number().int().nonnegative(),
  updatedAt: z.string(),
});
export type TaskProgress = z.infer<typeof TaskProgress>;

/** Where a copy that stopped at its deadline goes on: blob uploads in flight (no credentials). */
export const TaskResume = z.strictObject({
  blobs: z.array(BlobProgress),
  /** Invocations that stopped at their deadline so far. */
  pauses: z.number().int().positive(),
  pausedAt: z.string(),
  /** Pauses in a row that moved no blob byte (reset by one that did). */
  stalled: z.number().int().positive().optional(),
});
export type TaskResume = z.infer<typeof TaskResume>;

export const TaskError = z.strictObject({ code: z.string(), message: z.string() });
export type TaskError = z.infer<typeof TaskError>;

export const Task = z.strictObject({
  id: z.string().regex(/^[0-9a-f]{32}$/),
  kind: TaskKind,
  ruleId: z.string().optional(),
  source: ImageRef,
  destination: ImageRef.omit({ digest: true }),
  options: TaskOptions,
  status: TaskStatus,
  attempts: z.number().int().nonnegative(),
  /**
   * Bumped each time a finished task is run again (a DLQ redrive, `POST /tasks/:id/retry`). A
   * message names the generation it was sent for, which tells a redrive from a duplicate.
   */
  generation: z.number().int().nonnegative(),
  /** When a retryable failure will be tried again (the message is hidden until then). */
  nextAttemptAt: z.string().optional(),
  /** FAILED on its last receive: its message went on to the dead-letter queue, whence a redrive runs it again. */
  deadLettered: z.boolean().optional(),
  /** When the push happened at the source: orders pushes of one tag (older never replaces newer). */
  pushedAt: z.string().optional(),
  /** Not run before this time (a delete's safety delay): the message stays hidden until then. */
  notBefore: z.string().optional(),
  /** The execution (rule run, subscription run, manual sync, webhook delivery) that created it. */
  executionId: z.string().optional(),
  createdAt: z.string(),
  updatedAt: z.string(),
  enqueuedAt: z.string().optional(),
  startedAt: z.string().optional(),
  finishedAt: z.string().optional(),
  durationMs: z.number().int().nonnegative().optional(),
  result: TaskResult.optional(),
  error: TaskError.optional(),
  progress: TaskProgress.optional(),
  resume: TaskResume.optional(),
  /** The link it ran on (or the default path), once it ran (issue 13). */
  link: LinkRef.optional(),
  /** When it first waited for a slot on its link, and its place in line while QUEUED (1: next). */
  queuedAt: z.string().optional(),
  queuePosition: z.number().int().positive().optional(),
  /** Time spent waiting for a slot on its link, and copying once it had one (completion less queueing). */
  queuedMs: z.number().int().nonnegative().optional(),
  transferMs: z.number().int().nonnegative().optional(),
});
export type Task = z.infer<typeof Task>;

export interface NewTask {
  kind: TaskKind;
  ruleId?: string;
  source: Task['source'];
  destination: Task['destination'];
  options: TaskOptions;
  pushedAt?: string;
  notBefore?: string;
  executionId?: string;
  /** What makes two requests the same work: an event id, or the source digest and push time. */
  identity: string;
}

/** A stable id for the work a task describes (hex, 128 bits of sha256). */
export function taskId(task: Pick<NewTask, 'kind' | 'ruleId' | 'source' | 'destination' | 'identity'>): string {
  const parts = [task.kind, task.ruleId ?? '', formatReference(task.source), formatReference(task.destination), task.identity];
  return createHash('sha256').update(parts.join('\u0000')).digest('hex').slice(0, 32);
}

export function newTask(input: NewTask, now: Date): Task {
  const at = now.toISOString();
  return Task.parse({
    id: taskId(input),
    kind: input.kind,
    ...(input.ruleId ? { ruleId: input.ruleId } : {}),
    source: input.source,
    destination: input.destination,
    options: input.options,
    status: 'PENDING',
    attempts: 0,
    generation: 0,
    ...(input.pushedAt ? { pushedAt: input.pushedAt } : {}),
    ...(input.notBefore ? { notBefore: input.notBefore, nextAttemptAt: input.notBefore } : {}),
    ...(input.executionId ? { executionId: input.executionId } : {}),
    createdAt: at,
    updatedAt: at,
  });
}
