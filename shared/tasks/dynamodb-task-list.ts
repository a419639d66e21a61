/**
 * Listing tasks from a write-sharded index: every shard is queried in key order, the shards are
 * merged, and pages are filled to `limit` whatever the filters reject, so a page is short only
 * when nothing further matches. The cursor is the sort key of the page's last task: the next
 * page starts strictly after it on every shard.
 */
import type { QueryCommandInput, QueryCommandOutput } from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { decodeCursor, encodeCursor } from '../store/page-cursor.ts';
import type { Item } from './dynamodb-task-item.ts';
import type { Task } from './task.ts';
import type { RepositoryMatch, TaskFilter, TaskPage } from './task-store.ts';

export interface ListSource {
  shards: readonly string[];
  query(input: Omit<QueryCommandInput, 'TableName'>): Promise<QueryCommandOutput>;
  getTasks(ids: string[]): Promise<Task[]>;
}

type Order = 'newest' | 'oldest';

/** Index entries read per shard and call: a page's worth, not less than a useful batch. */
const MIN_READ = 25;
/** Sorts after every character of an id: `until` includes every task of that instant. */
const AFTER_ID = '~';

interface Shard {
  buffer: Item[];
  startKey?: Item;
  done: boolean;
}

export async function listTasks(
  source: ListSource,
  indexName: string,
  keyPrefix: string,
  filter: TaskFilter,
  limit: number,
  cursor: string | undefined,
  order: Order = 'newest',
): Promise<TaskPage> {
  const after = cursor === undefined ? undefined : decodeCursor(Cursor, cursor).after;
  const newest = order === 'newest';
  // The range of sort keys, both ends inclusive; the cursor's own task is dropped below.
  let low = filter.since;
  let high = filter.until === undefined ? undefined : `${filter.until}#${AFTER_ID}`;
  if (after !== undefined) {
    if (newest) high = high === undefined || after < high ? after : high;
    else low = low === undefined || after > low ? after : low;
  }
  const values: Item = {};
  let range = '';
  if (low !== undefined && high !== undefined) {
    if (low > high) return { items: [] };
    range = ' AND listAt BETWEEN :low AND :high';
    values[':low'] = { S: low };
    values[':high'] = { S: high };
  } else if (low !== undefined) {
    range = ' AND listAt >= :low';
    values[':low'] = { S: low };
  } else if (high !== undefined) {
    range = ' AND listAt <= :high';
    values[':high'] = { S: high };
  }
  const indexFilter = filterExpression(filter, values);
  const read = Math.max(limit + 1, MIN_READ);

  const shards = source.shards.map((name): Shard & { name: string } => ({ name, buffer: [], done: false }));
  const fill = async (shard: Shard & { name: string }) => {
    while (shard.buffer.length === 0 && !shard.done) {
      const response = await source.query({
        IndexName: indexName,
        KeyConditionExpression: `${keyPrefix === 'T' ? 'listKey' : 'waitKey'} = :key${range}`,
        ExpressionAttributeValues: { ...values, ':key': { S: `${keyPrefix}#${shard.name}` } },
        ...(indexFilter ? { FilterExpression: indexFilter } : {}),
        ScanIndexForward: !newest,
        Limit: read,
        ...(shard.startKey ? { ExclusiveStartKey: shard.startKey } : {}),
      });
      shard.buffer.push(...(response.Items ?? []).filter((item) => item.listAt?.S !== after));
      shard.startKey = response.LastEvaluatedKey;
      shard.done = response.LastEvaluatedKey === undefined;
    }
  };
  const first = (a: string, b: string) => (newest ? a > b : a < b);

  const found: Array<{ task: Task; at: string }> = [];
  while (found.length <= limit) {
    await Promise.all(shards.map(fill));
    // Take entries in order while every shard that may hold more still has one buffered.
    const candidates: Array<{ id: string; at: string }> = [];
    const want = limit + 1 - found.length;
    while (candidates.length < want) {
      let best: (Shard & { name: string }) | undefined;
      for (const shard of shards) {
        const head = shard.buffer[0]?.listAt?.S;
        if (head !== undefined && (best === undefined || first(head, best.buffer[0]!.listAt!.S!))) best = shard;
      }
      if (best === undefined) break;
      const item = best.buffer.shift()!;
      candidates.push({ id: item.pk!.S!.slice('TASK#'.length), at: item.listAt!.S! });
      if (best.buffer.length === 0 && !best.done) break;
    }
    if (candidates.length === 0) break;
    const tasks = new Map((await source.getTasks(candidates.map((c) => c.id))).map((t) => [t.id, t]));
    for (const candidate of candidates) {
      const task = tasks.get(candidate.id);
      if (task && matches(task, filter)) found.push({ task, at: candidate.at });
    }
  }
  const page = found.slice(0, limit);
  return {
    items: page.map((f) => f.task),
    ...(found.length > limit ? { cursor: encodeCursor({ after: page[page.length - 1]!.at }) } : {}),
  };
}

/** What the index can reject before the records are read: rule, execution and repositories, coarsely. */
function filterExpression(filter: TaskFilter, values: Item): string | undefined {
  const parts: string[] = [];
  if (filter.ruleId !== undefined) {
    parts.push('ruleId = :rule');
    values[':rule'] = { S: filter.ruleId };
  }
  if (filter.executionId !== undefined) {
    parts.push('executionId = :execution');
    values[':execution'] = { S: filter.executionId };
  }
  const side = (attribute: 'src' | 'dst', match: RepositoryMatch, name: string) => {
    if (match.registry !== undefined) {
      values[name] = { S: `${match.registry}/${match.repository}` };
      return `${attribute} = ${name}`;
    }
    values[name] = { S: `/${match.repository}` };
    return `contains(${attribute}, ${name})`;
  };
  if (filter.source) parts.push(side('src', filter.source, ':src'));
  if (filter.destination) parts.push(side('dst', filter.destination, ':dst'));
  if (filter.repository) parts.push(`(${side('src', filter.repository, ':either')} OR ${side('dst', filter.repository, ':either')})`);
  return parts.length === 0 ? undefined : parts.join(' AND ');
}

function matchesRepository(image: { registry: string; repository: string }, match: RepositoryMatch): boolean {
  return image.repository === match.repository && (match.registry === undefined || image.registry === match.registry);
}

function matches(task: Task, filter: TaskFilter): boolean {
  if (filter.status !== undefined && task.status !== filter.status) return false;
  if (filter.ruleId !== undefined && task.ruleId !== filter.ruleId) return false;
  if (filter.linkId !== undefined && task.link?.id !== filter.linkId) return false;
  if (filter.executionId !== undefined && task.executionId !== filter.executionId) return false;
  if (filter.source && !matchesRepository(task.source, filter.source)) return false;
  if (filter.destination && !matchesRepository(task.destination, filter.destination)) return false;
  if (filter.repository && !matchesRepository(task.source, filter.repository) && !matchesRepository(task.destination, filter.repository)) return false;
  return true;
}

const Cursor = z.strictObject({ after: z.string().min(1) });

