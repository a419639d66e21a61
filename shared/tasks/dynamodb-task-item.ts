/**
 * A task as a DynamoDB item. What never changes is one JSON document written at creation; what
 * changes is a top-level attribute, so that every state change is one UpdateItem of a few
 * attributes (no read first) and index entries are written only when a task appears in or leaves
 * an index:
 *
 *   pk          `TASK#<id>`
 *   doc         JSON: id, kind, ruleId?, source, destination, options, pushedAt?, createdAt
 *   status, attempts, generation, updatedAt, enqueuedAt?, startedAt?, finishedAt?, durationMs?,
 *   nextAttemptAt?, deadLettered?, result? (JSON), error? (JSON), expiresAt? (TTL once finished)
 *   listKey     `T#<shard>`, listAt `<createdAt>#<id>`      byTime (every task)
 *   waitKey     `W#<shard>` while PENDING and unclaimed    byWaiting (sparse)
 *   ruleId, src, dst (`registry/repository`)               projected into byTime for its filters
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';
import { Task, TaskError, TaskResult, TaskStatus } from './task.ts';

export type Item = Record<string, AttributeValue>;

/** Index partitions per index: enough that a burst spreads, few enough to merge per page. */
export const SHARDS = 16;
export const shardOf = (id: string): string => id[0]!;
export const SHARD_NAMES: readonly string[] = Array.from({ length: SHARDS }, (_, i) => i.toString(16));
export const listKey = (shard: string): string => `T#${shard}`;
export const waitKey = (shard: string): string => `W#${shard}`;
export const listAt = (task: Pick<Task, 'createdAt' | 'id'>): string => `${task.createdAt}#${task.id}`;
export const taskKey = (id: string): Item => ({ pk: { S: `TASK#${id}` } });

// Stripping, not strict: the whole task goes in, its immutable part comes out.
const Doc = z.object(Task.pick({ id: true, kind: true, ruleId: true, source: true, destination: true, options: true, pushedAt: true, createdAt: true }).shape);

export function toItem(task: Task): Item {
  const doc = Doc.parse(task);
  const shard = shardOf(task.id);
  const s = (value: string | undefined): AttributeValue | undefined => (value === undefined ? undefined : { S: value });
  const item: Record<string, AttributeValue | undefined> = {
    ...taskKey(task.id),
    doc: { S: JSON.stringify(doc) },
    status: { S: task.status },
    attempts: { N: String(task.attempts) },
    generation: { N: String(task.generation) },
    updatedAt: { S: task.updatedAt },
    enqueuedAt: s(task.enqueuedAt),
    listKey: { S: listKey(shard) },
    listAt: { S: listAt(task) },
    ...(task.status === 'PENDING' ? { waitKey: { S: waitKey(shard) } } : {}),
    ruleId: s(task.ruleId),
    src: { S: `${task.source.registry}/${task.source.repository}` },
    dst: { S: `${task.destination.registry}/${task.destination.repository}` },
  };
  return Object.fromEntries(Object.entries(item).filter((entry): entry is [string, AttributeValue] => entry[1] !== undefined));
}

const Json = <T extends z.ZodType>(schema: T) => z.string().transform((text, ctx) => {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    ctx.addIssue({ code: 'custom', message: 'not JSON' });
    return z.NEVER;
  }
}).pipe(schema);

export function fromItem(item: Item): Task {
  const where = item.pk?.S ?? '?';
  const str = (name: string) => item[name]?.S;
  const num = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]!.N));
  const parts = z.strictObject({ doc: Json(Doc), result: Json(TaskResult).optional(), error: Json(TaskError).optional() })
    .safeParse({ doc: str('doc'), ...(str('result') ? { result: str('result') } : {}), ...(str('error') ? { error: str('error') } : {}) });
  if (!parts.success) throw invalid(where, parts.error);
  const task = Task.safeParse({
    ...parts.data.doc,
    status: TaskStatus.safeParse(str('status')).data,
    attempts: num('attempts'),
    generation: num('generation') ?? 0,
    updatedAt: str('updatedAt'),
    ...optional('enqueuedAt', str('enqueuedAt')),
    ...optional('startedAt', str('startedAt')),
    ...optional('finishedAt', str('finishedAt')),
    ...optional('durationMs', num('durationMs')),
    ...optional('nextAttemptAt', str('nextAttemptAt')),
    ...(item.deadLettered?.BOOL ? { deadLettered: true } : {}),
    ...optional('result', parts.data.result),
    ...optional('error', parts.data.error),
  });
  if (!task.success) throw invalid(where, task.error);
  return task.data;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function invalid(where: string, error: z.ZodError): CrossdockError {
  return new CrossdockError('TASK_RECORD_INVALID', `task record ${where}: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}
