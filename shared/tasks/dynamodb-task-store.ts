/**
 * Tasks in DynamoDB (item layout in dynamodb-task-item.ts, keys in infra/aws/tables.ts).
 *
 * Access patterns, and their write units for one successful task (at most 8, every item < 1 KB):
 *   create                 PutItem if absent                      table 1, byTime 1, byWaiting 1
 *   mark enqueued          UpdateItem SET enqueuedAt              table 1
 *   claim                  UpdateItem conditioned on the state    table 1, byWaiting 1 (leaves it)
 *   order pushes of a tag  UpdateItem on `TAG#<ref>`, pushedAt <= new                 1
 *   finish                 UpdateItem                             table 1
 *   progress (RUNNING)     UpdateItem conditioned on RUNNING      table 1, at most one per 5 s, none
 *                          for a copy done within its first 5 s
 *   pause at a deadline    UpdateItem conditioned on RUNNING      table 1-2 (resume < 2 KB), byWaiting 1
 *   get                    GetItem (consistent)
 *   records, newest first  Query byTime on all 16 shards, merged, filters on the index's
 *                          projected ruleId/src/dst, BatchGetItem for the records (status there)
 *   waiting (sweep)        Query byWaiting on all 16 shards, listAt < t, paged to the end
 * A conditional write that fails becomes a domain answer (`exists`, not claimed, conflict).
 */
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type UpdateItemCommandInput,
} from '@aws-sdk/client-dynamodb';
import { CrossdockError } from '../errors.ts';
import { fromItem, SHARD_NAMES, shardOf, storedResult, taskKey, toItem, waitKey, type Item } from './dynamodb-task-item.ts';
import { listTasks, type ListSource } from './dynamodb-task-list.ts';
import type { Task, TaskError, TaskProgress, TaskResume } from './task.ts';
import { TaskConflictError, TaskNotFoundError, type Claim, type Outcome, type TaskFilter, type TaskPage, type TaskStore } from './task-store.ts';

export interface DynamoDbTaskStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  /** How long finished records are kept (DynamoDB TTL). */
  retentionDays: number;
}

const BATCH_GET_LIMIT = 100;
const PARALLEL_WRITES = 25;

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
      await this.#client.send(new PutItemCommand({ TableName: this.#table, Item: toItem(task), ConditionExpression: 'attribute_not_exists(pk)' }));
      return 'created';
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return 'exists';
      throw error;
    }
  }

  async markEnqueued(ids: string[], at: Date): Promise<void> {
    // A few at a time: a sweep of thousands must not open thousands of connections at once.
    for (let i = 0; i < ids.length; i += PARALLEL_WRITES) {
      await Promise.all(ids.slice(i, i + PARALLEL_WRITES).map((id) => this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: taskKey(id),
        UpdateExpression: 'SET enqueuedAt = :at',
        ConditionExpression: 'attribute_exists(pk)',
        ExpressionAttributeValues: { ':at': { S: at.toISOString() } },
      }))));
    }
  }

  async get(id: string): Promise<Task | undefined> {
    const response = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: taskKey(id), ConsistentRead: true }));
    return response.Item ? fromItem(response.Item) : undefined;
  }

  async claim(id: string, now: Date, leaseMs: number, generation = 0): Promise<Claim> {
    const at = now.toISOString();
    const claimed = await this.#conditional({
      UpdateExpression: 'SET #status = :running, attempts = attempts + :one, startedAt = :now, updatedAt = :now REMOVE waitKey, nextAttemptAt, queuePosition',
      ConditionExpression: 'attribute_exists(pk) AND (#status = :pending OR #status = :queued OR (#status = :running AND startedAt <= :leaseEnd))',
      ExpressionAttributeValues: { ':running': { S: 'RUNNING' }, ':pending': { S: 'PENDING' }, ':queued': { S: 'QUEUED' }, ':one': { N: '1' }, ':now': { S: at }, ':leaseEnd': { S: new Date(now.getTime() - leaseMs).toISOString() } },
    }, id);
    if (claimed) return { claimed: true, task: claimed };
    const task = await this.get(id);
    if (!task) return { claimed: false, task: undefined, why: 'missing' };
    if (task.status === 'RUNNING' || task.status === 'PENDING' || task.status === 'QUEUED') return { claimed: false, task, why: 'running' };
    if (task.status !== 'FAILED' || !task.deadLettered || task.generation !== generation) return { claimed: false, task, why: 'finished' };
    // A message of this generation back from the dead-letter queue: the next generation runs.
    const redriven = await this.#conditional({
      UpdateExpression: 'SET #status = :running, attempts = attempts + :one, generation = generation + :one, startedAt = :now, updatedAt = :now REMOVE deadLettered, finishedAt, durationMs, expiresAt, nextAttemptAt',
      ConditionExpression: '#status = :failed AND deadLettered = :true AND generation = :generation',
      ExpressionAttributeValues: { ':running': { S: 'RUNNING' }, ':failed': { S: 'FAILED' }, ':true': { BOOL: true }, ':one': { N: '1' }, ':now': { S: at }, ':generation': { N: String(generation) } },
    }, id);
    return redriven ? { claimed: true, task: redriven } : { claimed: false, task: await this.get(id), why: 'finished' };
  }

  async finish(id: string, outcome: Outcome, now: Date): Promise<void> {
    const at = now.toISOString();
    const set = ['#status = :status', 'updatedAt = :now', 'finishedAt = :now', 'expiresAt = :expires'];
    const remove = ['nextAttemptAt', 'waitKey', 'progress', 'resume'];
    const values: Item = { ':status': { S: outcome.status }, ':now': { S: at }, ':expires': { N: String(Math.floor(now.getTime() / 1000) + this.#retentionS) } };
    if (outcome.startedAt) {
      set.push('durationMs = :duration');
      values[':duration'] = { N: String(Math.max(0, now.getTime() - Date.parse(outcome.startedAt))) };
    }
    if (outcome.result) {
      set.push('#result = :result');
      values[':result'] = { S: storedResult(outcome.result) };
    } else remove.push('#result');
    if (outcome.error) {
      set.push('#error = :error');
      values[':error'] = { S: JSON.stringify(outcome.error) };
    } else remove.push('#error');
    if (outcome.link) {
      set.push('link = :link');
      values[':link'] = { S: JSON.stringify(outcome.link) };
    }
    for (const field of ['queuedMs', 'transferMs'] as const) {
      const value = outcome[field];
      if (value !== undefined) {
        set.push(`${field} = :${field}`);
        values[`:${field}`] = { N: String(Math.max(0, Math.round(value))) };
      }
    }
    if (outcome.deadLettered) {
      set.push('deadLettered = :true');
      values[':true'] = { BOOL: true };
    } else remove.push('deadLettered');
    await this.#mustUpdate(id, {
      UpdateExpression: `SET ${set.join(', ')} REMOVE ${remove.join(', ')}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: values,
    });
  }

  async markQueued(id: string, position: number, queuedAt: Date, now: Date): Promise<boolean> {
    const task = await this.#conditional({
      UpdateExpression: 'SET #status = :queued, queuePosition = :position, queuedAt = if_not_exists(queuedAt, :queuedAt), updatedAt = :now',
      ConditionExpression: '#status IN (:pending, :queued)',
      ExpressionAttributeValues: { ':queued': { S: 'QUEUED' }, ':pending': { S: 'PENDING' }, ':position': { N: String(position) }, ':queuedAt': { S: queuedAt.toISOString() }, ':now': { S: now.toISOString() } },
    }, id);
    return task !== undefined;
  }

  async release(id: string, error: TaskError, now: Date, nextAttemptAt?: Date): Promise<void> {
    await this.#mustUpdate(id, {
      UpdateExpression: `SET #status = :pending, #error = :error, updatedAt = :now, waitKey = :wait${nextAttemptAt ? ', nextAttemptAt = :next' : ''}${nextAttemptAt ? '' : ' REMOVE nextAttemptAt'}`,
      ConditionExpression: 'attribute_exists(pk)',
      ExpressionAttributeValues: {
        ':pending': { S: 'PENDING' }, ':error': { S: JSON.stringify(error) }, ':now': { S: now.toISOString() }, ':wait': { S: waitKey(shardOf(id)) },
        ...(nextAttemptAt ? { ':next': { S: nextAttemptAt.toISOString() } } : {}),
      },
    });
  }

  async pause(id: string, resume: TaskResume, progress: TaskProgress | undefined, now: Date): Promise<boolean> {
    return (await this.#conditional({
      UpdateExpression: `SET #status = :pending, resume = :resume, updatedAt = :now, waitKey = :wait${progress ? ', progress = :progress' : ''} REMOVE nextAttemptAt`,
      ConditionExpression: '#status = :running',
      ExpressionAttributeValues: {
        ':pending': { S: 'PENDING' }, ':running': { S: 'RUNNING' }, ':resume': { S: JSON.stringify(resume) }, ':now': { S: now.toISOString() }, ':wait': { S: waitKey(shardOf(id)) },
        ...(progress ? { ':progress': { S: JSON.stringify(progress) } } : {}),
      },
    }, id, 'NONE')) !== undefined;
  }

  async updateProgress(id: string, progress: TaskProgress): Promise<boolean> {
    return (await this.#conditional({
      UpdateExpression: 'SET progress = :progress',
      ConditionExpression: '#status = :running',
      ExpressionAttributeValues: { ':progress': { S: JSON.stringify(progress) }, ':running': { S: 'RUNNING' } },
    }, id, 'NONE')) !== undefined;
  }

  async rerun(id: string, now: Date): Promise<Task> {
    const task = await this.#conditional({
      UpdateExpression: 'SET #status = :pending, generation = generation + :one, updatedAt = :now, waitKey = :wait REMOVE deadLettered, enqueuedAt, startedAt, finishedAt, durationMs, expiresAt, nextAttemptAt, #result, progress, resume, queuedAt, queuePosition, queuedMs, transferMs',
      ConditionExpression: '#status IN (:succeeded, :skipped, :failed)',
      ExpressionAttributeValues: {
        ':pending': { S: 'PENDING' }, ':one': { N: '1' }, ':now': { S: now.toISOString() }, ':wait': { S: waitKey(shardOf(id)) },
        ':succeeded': { S: 'SUCCEEDED' }, ':skipped': { S: 'SKIPPED' }, ':failed': { S: 'FAILED' },
      },
    }, id);
    if (task) return task;
    const current = await this.get(id);
    if (!current) throw new TaskNotFoundError(id);
    throw new TaskConflictError(id, current.status, 'only a finished task can run again');
  }

  async list(filter: TaskFilter, limit: number, cursor?: string): Promise<TaskPage> {
    return listTasks(this.#source(), 'byTime', 'T', filter, limit, cursor);
  }

  async listWaiting(before: Date, limit: number, cursor?: string): Promise<TaskPage> {
    return listTasks(this.#source(), 'byWaiting', 'W', { until: before.toISOString() }, limit, cursor, 'oldest');
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

  #source(): ListSource {
    return {
      shards: SHARD_NAMES,
      query: (input) => this.#client.send(new QueryCommand({ TableName: this.#table, ...input })),
      getTasks: (ids) => this.#getTasks(ids),
    };
  }

  /** Records by id, in no particular order; ids without a record (expired since) are left out. */
  async #getTasks(ids: string[]): Promise<Task[]> {
    const tasks: Task[] = [];
    for (let i = 0; i < ids.length; i += BATCH_GET_LIMIT) {
      let keys: Item[] | undefined = ids.slice(i, i + BATCH_GET_LIMIT).map(taskKey);
      for (let round = 0; keys && keys.length > 0; round++) {
        if (round > 10) throw new CrossdockError('TASK_STORE_THROTTLED', `${keys.length} task records still unprocessed after ${round} BatchGetItem rounds`, { retryable: true });
        const response = await this.#client.send(new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: keys } } }));
        tasks.push(...(response.Responses?.[this.#table] ?? []).map(fromItem));
        keys = response.UnprocessedKeys?.[this.#table]?.Keys as Item[] | undefined;
      }
    }
    return tasks;
  }

  /** An UpdateItem conditioned on the task's state: the new task, or undefined when the condition failed. */
  async #conditional(input: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>, id: string): Promise<Task | undefined>;
  async #conditional(input: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>, id: string, returnValues: 'NONE'): Promise<true | undefined>;
  async #conditional(input: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>, id: string, returnValues: 'ALL_NEW' | 'NONE' = 'ALL_NEW'): Promise<Task | true | undefined> {
    try {
      const response = await this.#client.send(new UpdateItemCommand({
        TableName: this.#table,
        Key: taskKey(id),
        ...input,
        ...names(input),
        ReturnValues: returnValues,
      }));
      if (returnValues === 'NONE') return true;
      return response.Attributes ? fromItem(response.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async #mustUpdate(id: string, input: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression' | 'ExpressionAttributeValues'>): Promise<void> {
    try {
      await this.#client.send(new UpdateItemCommand({ TableName: this.#table, Key: taskKey(id), ...input, ...names(input) }));
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) throw new TaskNotFoundError(id);
      throw error;
    }
  }
}

/** `status`, `result` and `error` are DynamoDB reserved words. */
function names(input: Pick<UpdateItemCommandInput, 'UpdateExpression' | 'ConditionExpression'>): { ExpressionAttributeNames?: Record<string, string> } {
  const text = `${input.UpdateExpression ?? ''} ${input.ConditionExpression ?? ''}`;
  const used = ['status', 'result', 'error'].filter((name) => text.includes(`#${name}`));
  return used.length === 0 ? {} : { ExpressionAttributeNames: Object.fromEntries(used.map((name) => [`#${name}`, name])) };
}
