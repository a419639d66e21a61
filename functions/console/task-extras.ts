/**
 * Fields other parts of crossdock add to task records as they grow (live progress, the sync
 * link a task went through, queue and transfer timings, the execution it belongs to). Read
 * loosely, each on its own: a record without them, or with a shape this console does not know
 * yet, still renders.
 */
import { z } from 'zod';

const Progress = z.looseObject({
  bytesDone: z.number().nonnegative(),
  bytesTotal: z.number().nonnegative().optional(),
  blobsDone: z.number().nonnegative().optional(),
  blobsTotal: z.number().nonnegative().optional(),
  bytesPerSecond: z.number().nonnegative().optional(),
});
export type Progress = z.infer<typeof Progress>;

const Link = z.looseObject({ id: z.string(), name: z.string().optional(), type: z.string().optional() });
export type TaskLink = z.infer<typeof Link>;

export interface TaskExtras {
  progress?: Progress;
  link?: TaskLink;
  queuedMs?: number;
  transferMs?: number;
  executionId?: string;
}

const Ms = z.number().nonnegative();

export function taskExtras(task: object): TaskExtras {
  const record = task as Record<string, unknown>;
  const pick = <T,>(schema: z.ZodType<T>, value: unknown): T | undefined => {
    const parsed = schema.safeParse(value);
    return parsed.success ? parsed.data : undefined;
  };
  const extras: TaskExtras = {};
  const progress = pick(Progress, record['progress']);
  const link = pick(Link, record['link']);
  const queuedMs = pick(Ms, record['queuedMs']);
  const transferMs = pick(Ms, record['transferMs']);
  const executionId = pick(z.string().min(1), record['executionId']);
  if (progress) extras.progress = progress;
  if (link) extras.link = link;
  if (queuedMs !== undefined) extras.queuedMs = queuedMs;
  if (transferMs !== undefined) extras.transferMs = transferMs;
  if (executionId) extras.executionId = executionId;
  return extras;
}
