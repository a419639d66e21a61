/**
 * DynamoDB tables, described once: the local runtime and the tests create them from here, and
 * the CloudFormation in infra/ declares the same keys. Access patterns live in the adapters.
 */
export interface TableDefinition {
  /** Logical name; the physical name is `${prefix}-${name}`. */
  name: 'rules' | 'tasks';
  partitionKey: string;
  sortKey?: string;
  /** Every attribute used as a key of the table or an index, with its DynamoDB type. */
  attributes: Record<string, 'S' | 'N'>;
  indexes: Array<{ name: string; partitionKey: string; sortKey?: string }>;
  /** Attribute holding an epoch-seconds expiry, when items expire. */
  ttlAttribute?: string;
}

export const RULES_TABLE: TableDefinition = {
  name: 'rules',
  partitionKey: 'pk',
  attributes: { pk: 'S', sourceRegistry: 'S', id: 'S' },
  indexes: [{ name: 'bySourceRegistry', partitionKey: 'sourceRegistry', sortKey: 'id' }],
};

export const TASKS_TABLE: TableDefinition = {
  name: 'tasks',
  partitionKey: 'pk',
  attributes: { pk: 'S', status: 'S', createdAt: 'S', ruleId: 'S', repository: 'S' },
  indexes: [
    { name: 'byStatus', partitionKey: 'status', sortKey: 'createdAt' },
    { name: 'byRule', partitionKey: 'ruleId', sortKey: 'createdAt' },
    { name: 'byRepository', partitionKey: 'repository', sortKey: 'createdAt' },
  ],
  ttlAttribute: 'expiresAt',
};

export const TABLES: readonly TableDefinition[] = [RULES_TABLE, TASKS_TABLE];

export function tableName(prefix: string, table: TableDefinition): string {
  return `${prefix}-${table.name}`;
}
