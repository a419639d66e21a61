/**
 * A task as a DynamoDB item. What never changes is one JSON document written at creation; what
 * changes is a top-level attribute, so that every state change is one UpdateItem of a few
 * attributes (no read first) and index entries are written only when a task appears in or leaves
 * an index:
 *
 *   pk          `TASK#<id>`
 *   doc         JSON: kind, source {tag?, digest?}, destination {tag?}, options, pushedAt?
 *   src, dst    `registry/repository` of source and destination (projected into byTime)
 *   ruleId?     (projected into byTime)
 *   executionId? (projected into byTime: an execution's tasks are found there, no index of their own)
 *   status, attempts, generation, updatedAt, enqueuedAt?, startedAt?, finishedAt?, durationMs?,
 *   nextAttemptAt?, deadLettered?, result? (JSON), error? (JSON), expiresAt? (TTL once finished),
 *   progress? (JSON, while RUNNING), resume? (JSON: uploads saved at a deadline),
 *   queuedAt?, queuePosition?, link? (JSON), queuedMs?, transferMs? (sync links, issue 13)
 *   listKey     `T#<shard>`, listAt `<createdAt>#<id>`      byTime (every task)
 *   waitKey     `W#<shard>` while PENDING and unclaimed    byWaiting (sparse)
 * Nothing is stored twice (the id and createdAt live in the keys, the repositories in src/dst,
 * a preserved digest once): a finished record stays under 1 KB, one write unit per change.
 */
import type { AttributeValue } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';
import { LinkRef } from '../links/link.ts';
import { Task, TaskError, TaskProgress, TaskResult, TaskResume, TaskStatus } from './task.ts';

export type Item = Record<string, AttributeValue>;

/** Index partitions per index: enough that a burst spreads, few enough to merge per page. */
export const SHARDS = 16;
export const shardOf = (id: string): string => id[0]!;
export const SHARD_NAMES: readonly string[] = Array.from({ length: SHARDS }, (_, i) => i.toString(16));
export const listKey = (shard: string): string => `T#${shard}`;
export const waitKey = (shard: string): string => `W#${shard}`;
export const listAt = (task: Pick<Task, 'createdAt' | 'id'>): string => `${task.createdAt}#${task.id}`;
export const taskKey = (id: string): Item => ({ pk: { S: `TASK#${id}` } });

const Doc = z.strictObject({
  kind: Task.shape.kind,
  source: z.strictObject({ tag: z.string().optional(), digest: z.string().optional() }),
  destination: z.strictObject({ tag: z.string().optional() }),
  options: Task.shape.options,
  pushedAt: z.string().optional(),
  notBefore: z.string().optional(),
});
type Doc = z.infer<typeof Doc>;

/** A result as stored: `digest` left out when it is the source's (digest preserved). */
const StoredResult = TaskResult.extend({ digest: z.string().optional() });

export function storedResult(result: TaskResult): string {
  const { digest, ...rest } = result;
  return JSON.stringify(digest === result.sourceDigest ? rest : result);
}

function toDoc(task: Task): Doc {
  return {
    kind: task.kind,
    source: { ...(task.source.tag ? { tag: task.source.tag } : {}), ...(task.source.digest ? { digest: task.source.digest } : {}) },
    destination: task.destination.tag ? { tag: task.destination.tag } : {},
    options: task.options,
    ...(task.pushedAt ? { pushedAt: task.pushedAt } : {}),
    ...(task.notBefore ? { notBefore: task.notBefore } : {}),
  };
}

/** `registry/repository`: a registry never holds a slash. */
function splitRepository(value: string | undefined): { registry: string; repository: string } | undefined {
  const slash = value?.indexOf('/') ?? -1;
  return value === undefined || slash < 0 ? undefined : { registry: value.slice(0, slash), repository: value.slice(slash + 1) };
}

export function toItem(task: Task): Item {
  const doc = toDoc(task);
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
    nextAttemptAt: s(task.nextAttemptAt),
    listKey: { S: listKey(shard) },
    listAt: { S: listAt(task) },
    ...(task.status === 'PENDING' ? { waitKey: { S: waitKey(shard) } } : {}),
    ruleId: s(task.ruleId),
    executionId: s(task.executionId),
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
  const parts = z.strictObject({ doc: Json(Doc), result: Json(StoredResult).optional(), error: Json(TaskError).optional(), progress: Json(TaskProgress).optional(), resume: Json(TaskResume).optional(), link: Json(LinkRef).optional() })
    .safeParse({
      doc: str('doc'),
      ...(str('result') ? { result: str('result') } : {}),
      ...(str('error') ? { error: str('error') } : {}),
      ...(str('progress') ? { progress: str('progress') } : {}),
      ...(str('resume') ? { resume: str('resume') } : {}),
      ...(str('link') ? { link: str('link') } : {}),
    });
  if (!parts.success) throw invalid(where, parts.error);
  const { doc, result } = parts.data;
  const id = where.slice('TASK#'.length);
  const createdAt = str('listAt')?.split('#')[0];
  const source = splitRepository(str('src'));
  const destination = splitRepository(str('dst'));
  const task = Task.safeParse({
    id,
    kind: doc.kind,
    ...optional('ruleId', str('ruleId')),
    source: source && { ...source, ...doc.source },
    destination: destination && { ...destination, ...doc.destination },
    options: doc.options,
    ...optional('pushedAt', doc.pushedAt),
    ...optional('notBefore', doc.notBefore),
    ...optional('executionId', str('executionId')),
    createdAt,
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
    ...optional('result', result && { ...result, digest: result.digest ?? result.sourceDigest }),
    ...optional('error', parts.data.error),
    ...optional('progress', parts.data.progress),
    ...optional('resume', parts.data.resume),
    ...optional('link', parts.data.link),
    ...optional('queuedAt', str('queuedAt')),
    ...optional('queuePosition', num('queuePosition')),
    ...optional('queuedMs', num('queuedMs')),
    ...optional('transferMs', num('transferMs')),
  });
  if (!task.success) throw invalid(where, task.error);
  return task.data;
}

function optional<K extends string, V>(key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : ({ [key]: value } as Record<K, V>);
}

function invalid(where: string, error: z.ZodError): CrossdockError {
  return new CrossdockError('RECORD_INVALID', `task record ${where}: ${error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
}
