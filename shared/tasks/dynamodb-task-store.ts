/**
 * Tasks in DynamoDB.
 *
 * Layout (table `tasks`, see infra/aws/tables.ts):
 *   task      pk `TASK#<id>`     doc (the Task as JSON), status, createdAt, repository, ruleId?,
 *                                enqueuedAt?, version, expiresAt? (TTL, set once finished)
 *   tag head  pk `TAG#<ref>`     pushedAt, taskId: the newest push written to a destination tag
 * Access patterns:
 *   get/claim/finish by id                         GetItem + UpdateItem conditioned on version
 *   records by rule / status / source repository   Query byRule / byStatus / byRepository, newest first
 *   all records                                    Scan (unordered)
 *   stale PENDING (message never sent)             Query byStatus, createdAt < t, no enqueuedAt
 *   order pushes of a tag                          UpdateItem on the tag head, pushedAt <= new
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  ScanCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CrossdockError, InvalidInputError } from '../errors.ts';
import { Task, TaskStatus, type TaskError, type TaskResult } from './task.ts';
import { TaskNotFoundError, type Claim, type TaskFilter, type TaskPage, type TaskStore } from './task-store.ts';

type Item = Record<string, AttributeValue>;

export interface DynamoDbTaskStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long finished records are kept (DynamoDB TTL). */
  retentionDays: number;
}

const MAX_WRITE_RACES = 5;

export class DynamoDbTaskStore implements TaskStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #retentionS: number;

  constructor(options: DynamoDbTaskStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionS = options.retentionDays * 86_400;
  }

  async create(task: Task): Promise<'created' | 'exists'> {
    try {
      await this.#client.send(new PutItemCommand({
        TableName: this.#table,
        Item: this.#item(task, 1),
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return 'created';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'exists';
      throw error;
    }
  }

  async markEnqueued(ids: string[], at: Date): Promise<void> {
    await Promise.all(ids.map((id) => this.#client.send(new UpdateItemCommand({
      TableName: this.#table,
      Key: { pk: { S: `TASK#${id}` } },
      UpdateExpression: 'SET enqueuedAt = :at',
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: { ':at': { S: at.toISOString() } },
    }))));
  }

  async get(id: string): Promise<Task | undefined> {
    return (await this.#read(id))?.task;
  }

  async claim(id: string, now: Date, leaseMs: number): Promise<Claim> {
    for (let race = 0; race < MAX_WRITE_RACES; race++) {
      const current = await this.#read(id);
      if (!current) return { claimed: false, task: undefined, why: 'missing' };
      const { task, version } = current;
      if (task.status === 'SUCCEEDED' || task.status === 'SKIPPED' || task.status === 'FAILED') return { claimed: false, task, why: 'finished' };
      if (task.status === 'RUNNING' && task.startedAt && Date.parse(task.startedAt) + leaseMs > now.getTime()) return { claimed: false, task, why: 'running' };
      const next: Task = { ...task, status: 'RUNNING', attempts: task.attempts + 1, startedAt: now.toISOString(), updatedAt: now.toISOString() };
      if (await this.#replace(next, version)) return { claimed: true, task: next };
    }
    throw new CrossdockError('TASK_CONTENDED', `task ${id}: too many concurrent updates`, { retryable: true });
  }

  async finish(id: string, outcome: { status: 'SUCCEEDED' | 'SKIPPED' | 'FAILED'; result?: TaskResult; error?: TaskError }, now: Date): Promise<void> {
    await this.#update(id, (task) => {
      const { error: _previous, ...rest } = task;
      return {
        ...rest,
        status: outcome.status,
        updatedAt: now.toISOString(),
        finishedAt: now.toISOString(),
        ...(task.startedAt ? { durationMs: Math.max(0, now.getTime() - Date.parse(task.startedAt)) } : {}),
        ...(outcome.result ? { result: outcome.result } : {}),
        ...(outcome.error ? { error: outcome.error } : {}),
      };
    });
  }

  async release(id: string, error: TaskError, now: Date): Promise<void> {
    await this.#update(id, (task) => ({ ...task, status: 'PENDING', error, updatedAt: now.toISOString() }));
  }

  async list(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage> {
    const values: Item = {};
    const names: Record<string, string> = {};
    const filters: string[] = [];
    const add = (name: string, value: string, op = '=') => {
      names[`#${name}`] = name;
      values[`:${name}`] = { S: value };
      return `#${name} ${op} :${name}`;
    };
    let index: string | undefined;
    let keyCondition: string | undefined;
    const [key, keyValue] = filter.ruleId ? ['ruleId', filter.ruleId] : filter.status ? ['status', filter.status] : filter.repository ? ['repository', filter.repository] : [undefined, undefined];
    if (key !== undefined && keyValue !== undefined) {
      index = key === 'ruleId' ? 'byRule' : key === 'status' ? 'byStatus' : 'byRepository';
      keyCondition = add(key, keyValue);
    }
    for (const [name, value] of [['ruleId', filter.ruleId], ['status', filter.status], ['repository', filter.repository]] as const) {
      if (value !== undefined && name !== key) filters.push(add(name, value));
    }
    const timeConditions: string[] = [];
    if (filter.since) timeConditions.push(add('createdAt', filter.since, '>='));
    if (filter.until) {
      names['#createdAt'] = 'createdAt';
      values[':until'] = { S: filter.until };
      timeConditions.push('#createdAt <= :until');
    }
    const startKey = cursor ? decodeCursor(cursor) : undefined;
    const common = {
      TableName: this.#table,
      Limit: limit,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ...(Object.keys(values).length ? { ExpressionAttributeValues: values } : {}),
      ...(startKey ? { ExclusiveStartKey: startKey } : {}),
    };
    const response = keyCondition
      ? await this.#client.send(new QueryCommand({
          ...common,
          IndexName: index,
          KeyConditionExpression: [keyCondition, ...timeConditions].join(' AND '),
          ...(filters.length ? { FilterExpression: filters.join(' AND ') } : {}),
          ScanIndexForward: false,
        }))
      : await this.#client.send(new ScanCommand({
          ...common,
          FilterExpression: ['begins_with(pk, :task)', ...filters, ...timeConditions].join(' AND '),
          ExpressionAttributeValues: { ...values, ':task': { S: 'TASK#' } },
        }));
    return {
      items: (response.Items ?? []).map((item) => this.#parse(item).task),
      ...(response.LastEvaluatedKey ? { cursor: encodeCursor(response.LastEvaluatedKey) } : {}),
    };
  }

  async listStalePending(before: Date, limit: number): Promise<Task[]> {
    const response = await this.#client.send(new QueryCommand({
      TableName: this.#table,
      IndexName: 'byStatus',
      KeyConditionExpression: '#status = :pending AND createdAt < :before',
      FilterExpression: 'attribute_not_exists(enqueuedAt)',
      ExpressionAttributeNames: { '#status': 'status' },
      ExpressionAttributeValues: { ':pending': { S: 'PENDING' }, ':before': { S: before.toISOString() } },
      Limit: limit,
    }));
    return (response.Items ?? []).map((item) => this.#parse(item).task);
  }

  async advanceTagHead(destination: string, pushedAt: string, taskId: string): Promise<boolean> {
    try {
      await this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: { pk: { S: `TAG#${destination}` } },
        UpdateExpression: 'SET pushedAt = :at, taskId = :task',
        ConditionExpression: 'attribute_not_exists(pk) OR pushedAt <= :at',
        ExpressionAttributeValues: { ':at': { S: pushedAt }, ':task': { S: taskId } },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #update(id: string, change: (task: Task) => Task): Promise<void> {
    for (let race = 0; race < MAX_WRITE_RACES; race++) {
      const current = await this.#read(id);
      if (!current) throw new TaskNotFoundError(id);
      if (await this.#replace(change(current.task), current.version)) return;
    }
    throw new CrossdockError('TASK_CONTENDED', `task ${id}: too many concurrent updates`, { retryable: true });
  }

  /** Writes the whole record if nobody wrote it since `version`; false when somebody did. */
  async #replace(task: Task, version: number): Promise<boolean> {
    try {
      await this.#client.send(new PutItemCommand({
        TableName: this.#table,
        Item: this.#item(task, version + 1),
        ConditionExpression: 'version = :version',
        ExpressionAttributeValues: { ':version': { N: String(version) } },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #read(id: string): Promise<{ task: Task; version: number } | undefined> {
    const response = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: { S: `TASK#${id}` } }, ConsistentRead: true }));
    return response.Item ? this.#parse(response.Item) : undefined;
  }

  #item(task: Task, version: number): Item {
    const { enqueuedAt, ...doc } = task;
    const finished = task.status === 'SUCCEEDED' || task.status === 'SKIPPED' || task.status === 'FAILED';
    return {
      pk: { S: `TASK#${task.id}` },
      doc: { S: JSON.stringify(doc) },
      status: { S: task.status },
      createdAt: { S: task.createdAt },
      repository: { S: `${task.source.registry}/${task.source.repository}` },
      version: { N: String(version) },
      ...(task.ruleId ? { ruleId: { S: task.ruleId } } : {}),
      ...(enqueuedAt ? { enqueuedAt: { S: enqueuedAt } } : {}),
      ...(finished ? { expiresAt: { N: String(Math.floor(Date.parse(task.updatedAt) / 1000) + this.#retentionS) } } : {}),
    };
  }

  #parse(item: Item): { task: Task; version: number } {
    const doc = item.doc?.S;
    if (doc === undefined) throw new CrossdockError('TASK_RECORD_INVALID', `task record ${item.pk?.S ?? '?'} has no document`);
    const parsed = Task.safeParse({ ...JSON.parse(doc), status: TaskStatus.parse(item.status?.S), ...(item.enqueuedAt?.S ? { enqueuedAt: item.enqueuedAt.S } : {}) });
    if (!parsed.success) throw new CrossdockError('TASK_RECORD_INVALID', `task record ${item.pk?.S ?? '?'}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    return { task: parsed.data, version: Number(item.version?.N ?? '0') };
  }
}

function encodeCursor(key: Item): string {
  return Buffer.from(JSON.stringify(key)).toString('base64url');
}

const Cursor = z.record(z.string(), z.union([z.strictObject({ S: z.string() }), z.strictObject({ N: z.string() })]));

function decodeCursor(cursor: string): Item {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = Cursor.safeParse(value);
  if (!parsed.success) throw new InvalidInputError('INVALID_CURSOR', 'cursor is not one this API gave out');
  return parsed.data as Item;
}
