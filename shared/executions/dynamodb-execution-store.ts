/**
 * Executions in DynamoDB, in the tasks table (no table or index of their own).
 *
 * Layout: pk `EXEC#<id>`; doc (JSON: kind, ruleId?, subscriptionId?); the expansion's counters as
 * top-level numbers (repositories, repositoriesDone, catalogPages, errors), catalogDone,
 * lastError?, expandedAt?; listKey `X` and listAt `<createdAt>#<id>`, so executions sit in the
 * byTime index under a key of their own, apart from the task shards `T#<shard>`. A repository's
 * listing step leaves a marker item `EXEC#<id>#R#<hash>` (expiring with the records), which
 * makes it count once.
 *
 * Access patterns: create (PutItem if absent; table 1, byTime 1), get (GetItem), newest first
 * (Query byTime on `X`, then BatchGetItem), a catalog page read (UpdateItem conditioned on the
 * page number), a repository done (PutItem of its marker if absent, then UpdateItem ADD),
 * expanded (UpdateItem conditioned on the counters). None of this is on a task's path: a task
 * of an execution costs what any task costs (its id is one more attribute, projected into byTime).
 */
import { createHash } from 'node:crypto';
import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';
import { decodeCursor, encodeCursor } from '../store/page-cursor.ts';
import { Execution } from './execution.ts';
import type { ExecutionPage, ExecutionStore } from './execution-store.ts';

type Item = Record<string, AttributeValue>;

const LIST_KEY = 'X';
const key = (id: string): Item => ({ pk: { S: `EXEC#${id}` } });
const Doc = Execution.pick({ kind: true, ruleId: true, subscriptionId: true });

export interface DynamoDbExecutionStoreOptions {
  client: DynamoDBClient;
  tableName: string;
  retentionDays: number;
}

export class DynamoDbExecutionStore implements ExecutionStore {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #retentionS: number;

  constructor(options: DynamoDbExecutionStoreOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionS = options.retentionDays * 86_400;
  }

  async create(execution: Execution): Promise<void> {
    const { expansion: e } = execution;
    const item: Item = {
      ...key(execution.id),
      doc: { S: JSON.stringify(Doc.parse({ kind: execution.kind, ...(execution.ruleId ? { ruleId: execution.ruleId } : {}), ...(execution.subscriptionId ? { subscriptionId: execution.subscriptionId } : {}) })) },
      listKey: { S: LIST_KEY },
      listAt: { S: `${execution.createdAt}#${execution.id}` },
      repositories: { N: String(e.repositories) },
      repositoriesDone: { N: String(e.repositoriesDone) },
      catalogPages: { N: String(e.catalogPages) },
      catalogDone: { BOOL: e.catalogDone },
      errors: { N: String(e.errors) },
      considered: { N: String(e.considered) },
      upToDate: { N: String(e.upToDate) },
      ...(execution.expandedAt ? { expandedAt: { S: execution.expandedAt } } : {}),
      expiresAt: { N: String(Math.floor(Date.parse(execution.createdAt) / 1000) + this.#retentionS) },
    };
    try {
      await this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  async get(id: string): Promise<Execution | undefined> {
    const response = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: key(id), ConsistentRead: true }));
    return response.Item ? fromItem(response.Item) : undefined;
  }

  async list(limit: number, cursor?: string): Promise<ExecutionPage> {
    const response = await this.#client.send(new QueryCommand({
      TableName: this.#table,
      IndexName: 'byTime',
      KeyConditionExpression: 'listKey = :key',
      ExpressionAttributeValues: { ':key': { S: LIST_KEY } },
      ScanIndexForward: false,
      Limit: limit,
      ...(cursor ? { ExclusiveStartKey: startKey(decodeCursor(Cursor, cursor)) } : {}),
    }));
    const keys = (response.Items ?? []).map((i) => ({ pk: i.pk! }));
    const found = new Map<string, Execution>();
    let pending: Item[] | undefined = keys;
    for (let round = 0; pending && pending.length > 0; round++) {
      if (round > 10) throw new CrossdockError('TASK_STORE_THROTTLED', `${pending.length} execution records still unprocessed after ${round} BatchGetItem rounds`, { retryable: true });
      const got = await this.#client.send(new BatchGetItemCommand({ RequestItems: { [this.#table]: { Keys: pending } } }));
      for (const item of got.Responses?.[this.#table] ?? []) found.set(item.pk!.S!, fromItem(item));
      pending = got.UnprocessedKeys?.[this.#table]?.Keys as Item[] | undefined;
    }
    const items = keys.flatMap((k) => (found.has(k.pk.S!) ? [found.get(k.pk.S!)!] : []));
    return { items, ...(response.LastEvaluatedKey ? { cursor: encodeCursor({ pk: response.LastEvaluatedKey.pk?.S, listKey: response.LastEvaluatedKey.listKey?.S, listAt: response.LastEvaluatedKey.listAt?.S }) } : {}) };
  }

  async recordCatalogPage(id: string, page: number, repositories: number, last: boolean): Promise<boolean> {
    return this.#conditional({
      TableName: this.#table,
      Key: key(id),
      UpdateExpression: `SET catalogPages = :next${last ? ', catalogDone = :true' : ''} ADD repositories :count`,
      ConditionExpression: 'catalogPages = :page',
      ExpressionAttributeValues: { ':next': { N: String(page + 1) }, ':page': { N: String(page) }, ':count': { N: String(repositories) }, ...(last ? { ':true': { BOOL: true } } : {}) },
    });
  }

  async recordRepositoryDone(id: string, repository: string, outcome: { considered: number; upToDate: number } | { error: string }): Promise<boolean> {
    const error = 'error' in outcome ? outcome.error : undefined;
    const marker = `${key(id).pk!.S}#R#${createHash('sha256').update(repository).digest('hex').slice(0, 32)}`;
    const first = await this.#put({
      pk: { S: marker },
      expiresAt: { N: String(Math.floor(Date.now() / 1000) + this.#retentionS) },
    });
    if (!first) return false;
    await this.#client.send(new UpdateItemCommand({
      TableName: this.#table,
      Key: key(id),
      UpdateExpression: 'error' in outcome ? 'ADD repositoriesDone :one, #errors :one SET lastError = :error' : 'ADD repositoriesDone :one, considered :considered, upToDate :upToDate',
      ExpressionAttributeValues: {
        ':one': { N: '1' },
        ...('error' in outcome ? { ':error': { S: outcome.error.slice(0, 500) } } : { ':considered': { N: String(outcome.considered) }, ':upToDate': { N: String(outcome.upToDate) } }),
      },
      ...(error ? { ExpressionAttributeNames: { '#errors': 'errors' } } : {}),
    }));
    return true;
  }

  async markExpandedIfDone(id: string, at: Date): Promise<Execution | undefined> {
    await this.#conditional({
      TableName: this.#table,
      Key: key(id),
      UpdateExpression: 'SET expandedAt = :at',
      ConditionExpression: 'attribute_not_exists(expandedAt) AND catalogDone = :true AND repositoriesDone >= repositories',
      ExpressionAttributeValues: { ':at': { S: at.toISOString() }, ':true': { BOOL: true } },
    });
    return this.get(id);
  }

  async #put(item: Item): Promise<boolean> {
    try {
      await this.#client.send(new PutItemCommand({ TableName: this.#table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async #conditional(input: ConstructorParameters<typeof UpdateItemCommand>[0]): Promise<boolean> {
    try {
      await this.#client.send(new UpdateItemCommand(input));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}

function fromItem(item: Item): Execution {
  const where = item.pk?.S ?? '?';
  const num = (name: string) => (item[name]?.N === undefined ? undefined : Number(item[name]!.N));
  let doc: unknown;
  try {
    doc = JSON.parse(item.doc?.S ?? '');
  } catch {
    doc = undefined;
  }
  const parsed = Execution.safeParse({
    id: where.slice('EXEC#'.length),
    ...(typeof doc === 'object' && doc !== null ? doc : {}),
    createdAt: item.listAt?.S?.split('#')[0],
    expansion: {
      repositories: num('repositories'),
      repositoriesDone: num('repositoriesDone'),
      catalogDone: item.catalogDone?.BOOL,
      catalogPages: num('catalogPages'),
      considered: num('considered') ?? 0,
      upToDate: num('upToDate') ?? 0,
      errors: num('errors'),
      ...(item.lastError?.S ? { lastError: item.lastError.S } : {}),
    },
    ...(item.expandedAt?.S ? { expandedAt: item.expandedAt.S } : {}),
  });
  if (!parsed.success) throw new CrossdockError('RECORD_INVALID', `execution record ${where}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}

const Cursor = z.strictObject({ pk: z.string(), listKey: z.string(), listAt: z.string() });

function startKey(cursor: z.infer<typeof Cursor>): Item {
  return { pk: { S: cursor.pk }, listKey: { S: cursor.listKey }, listAt: { S: cursor.listAt } };
}

