/**
 * DynamoDB tables, described once: the local runtime and the tests create them from here, and
 * the CloudFormation in infra/ declares the same keys. Access patterns live in the adapters.
 */
export interface IndexDefinition {
  name: string;
  partitionKey: string;
  sortKey?: string;
  /** ALL unless listed: a narrow projection keeps index writes at one unit and off the update path. */
  projection?: { type: 'KEYS_ONLY' } | { type: 'INCLUDE'; attributes: string[] };
}

export interface TableDefinition {
  /** Logical name; the physical name is `${prefix}-${name}`. */
  name: 'rules' | 'tasks';
  partitionKey: string;
  sortKey?: string;
  /** Every attribute used as a key of the table or an index, with its DynamoDB type. */
  attributes: Record<string, 'S' | 'N'>;
  indexes: IndexDefinition[];
  /** Attribute holding an epoch-seconds expiry, when items expire. */
  ttlAttribute?: string;
}

export const RULES_TABLE: TableDefinition = {
  name: 'rules',
  partitionKey: 'pk',
  attributes: { pk: 'S', sourceRegistry: 'S', id: 'S' },
  indexes: [{ name: 'bySourceRegistry', partitionKey: 'sourceRegistry', sortKey: 'id' }],
};

/**
 * Both task indexes are write-sharded (`T#<shard>`, `W#<shard>`, 16 shards by the id's first hex
 * digit) and hold only attributes that never change, so a task's updates never write to them:
 *   byTime     every task, newest first: listing, with rule, repository and execution filters on
 *              the index; executions themselves under the one key `X` (shared/executions/)
 *   byWaiting  sparse: PENDING tasks no worker has claimed yet (the sweep's unsent and expired)
 * See shared/tasks/dynamodb-task-store.ts for the access patterns.
 */
export const TASKS_TABLE: TableDefinition = {
  name: 'tasks',
  partitionKey: 'pk',
  attributes: { pk: 'S', listKey: 'S', listAt: 'S', waitKey: 'S' },
  indexes: [
    { name: 'byTime', partitionKey: 'listKey', sortKey: 'listAt', projection: { type: 'INCLUDE', attributes: ['ruleId', 'src', 'dst', 'executionId'] } },
    { name: 'byWaiting', partitionKey: 'waitKey', sortKey: 'listAt', projection: { type: 'KEYS_ONLY' } },
  ],
  ttlAttribute: 'expiresAt',
};

export const TABLES: readonly TableDefinition[] = [RULES_TABLE, TASKS_TABLE];

/** The index's projection as DynamoDB and CloudFormation spell it. */
export function projectionOf(index: IndexDefinition): { ProjectionType: 'ALL' | 'KEYS_ONLY' | 'INCLUDE'; NonKeyAttributes?: string[] } {
  if (index.projection === undefined) return { ProjectionType: 'ALL' };
  return index.projection.type === 'INCLUDE' ? { ProjectionType: 'INCLUDE', NonKeyAttributes: index.projection.attributes } : { ProjectionType: 'KEYS_ONLY' };
}

export function tableName(prefix: string, table: TableDefinition): string {
  return `${prefix}-${table.name}`;
}
