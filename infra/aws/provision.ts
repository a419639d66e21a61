/**
 * Creates the tables and queues that serverless.yml declares in AWS, for the local runtime and
 * the tests. Every call is idempotent: what exists is kept (queues get their attributes
 * re-applied), what is missing is created, and tables are awaited until they and their indexes
 * are ACTIVE.
 */
import {
  CreateTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  DynamoDBServiceException,
  ResourceInUseException,
  UpdateTimeToLiveCommand,
  type CreateTableCommandInput,
  type DynamoDBClient,
  type KeySchemaElement,
  type TableDescription,
} from '@aws-sdk/client-dynamodb';
import {
  CreateQueueCommand,
  GetQueueAttributesCommand,
  GetQueueUrlCommand,
  QueueNameExists,
  SetQueueAttributesCommand,
  type QueueAttributeName,
  type SQSClient,
} from '@aws-sdk/client-sqs';
import { setTimeout as sleep } from 'node:timers/promises';
import { CrossdockError } from '../../shared/errors.ts';
import { projectionOf, TABLES, tableName, type TableDefinition } from './tables.ts';

export interface ProvisionedTable {
  name: string;
  /** `unsupported`: the server has no UpdateTimeToLive (dynalite), so items never expire there. */
  ttl: 'enabled' | 'unsupported' | 'none';
}

export interface QueueOptions {
  visibilityTimeoutSeconds: number;
  maxReceiveCount: number;
}

export interface ProvisionedQueues {
  queueUrl: string;
  dlqUrl: string;
}

export const DEFAULT_ACTIVE_TIMEOUT_MS = 120_000;
/**
 * Both queues keep messages as long as SQS allows (14 days): the DLQ for inspection and redrive,
 * the task queue so that a backlog outlives a long outage (the sweep re-sends what expires).
 */
export const MESSAGE_RETENTION_SECONDS = 1_209_600;

export async function ensureTables(
  client: DynamoDBClient,
  prefix: string,
  tables: readonly TableDefinition[] = TABLES,
): Promise<ProvisionedTable[]> {
  const provisioned: ProvisionedTable[] = [];
  for (const table of tables) {
    const name = tableName(prefix, table);
    try {
      await client.send(new CreateTableCommand(createTableInput(name, table)));
    } catch (error) {
      if (!(error instanceof ResourceInUseException)) throw error;
    }
    const description = await waitUntilActive(client, name, DEFAULT_ACTIVE_TIMEOUT_MS);
    checkExistingTable(name, table, description);
    const ttl = table.ttlAttribute === undefined ? 'none' : await ensureTtl(client, name, table.ttlAttribute);
    provisioned.push({ name, ttl });
  }
  return provisioned;
}

export async function ensureQueues(
  client: SQSClient,
  prefix: string,
  options: QueueOptions,
): Promise<ProvisionedQueues> {
  const dlqUrl = await ensureQueue(client, `${prefix}-tasks-dlq`, {
    MessageRetentionPeriod: String(MESSAGE_RETENTION_SECONDS),
  });
  const dlq = await client.send(new GetQueueAttributesCommand({ QueueUrl: dlqUrl, AttributeNames: ['QueueArn'] }));
  const dlqArn = dlq.Attributes?.QueueArn;
  if (dlqArn === undefined) throw new CrossdockError('QUEUE_PROVISIONING', `queue ${dlqUrl}: no QueueArn attribute`);
  const queueUrl = await ensureQueue(client, `${prefix}-tasks`, {
    VisibilityTimeout: String(options.visibilityTimeoutSeconds),
    MessageRetentionPeriod: String(MESSAGE_RETENTION_SECONDS),
    RedrivePolicy: JSON.stringify({ deadLetterTargetArn: dlqArn, maxReceiveCount: options.maxReceiveCount }),
  });
  return { queueUrl, dlqUrl };
}

function createTableInput(name: string, table: TableDefinition): CreateTableCommandInput {
  return {
    TableName: name,
    BillingMode: 'PAY_PER_REQUEST',
    AttributeDefinitions: Object.entries(table.attributes).map(([AttributeName, AttributeType]) => ({
      AttributeName,
      AttributeType,
    })),
    KeySchema: keySchema(table.partitionKey, table.sortKey),
    ...(table.indexes.length === 0
      ? {}
      : {
          GlobalSecondaryIndexes: table.indexes.map((index) => ({
            IndexName: index.name,
            KeySchema: keySchema(index.partitionKey, index.sortKey),
            Projection: projectionOf(index),
          })),
        }),
  };
}

function keySchema(partitionKey: string, sortKey: string | undefined): KeySchemaElement[] {
  const schema: KeySchemaElement[] = [{ AttributeName: partitionKey, KeyType: 'HASH' }];
  if (sortKey !== undefined) schema.push({ AttributeName: sortKey, KeyType: 'RANGE' });
  return schema;
}

async function waitUntilActive(client: DynamoDBClient, name: string, timeoutMs: number): Promise<TableDescription> {
  const deadline = Date.now() + timeoutMs;
  let delayMs = 25;
  for (;;) {
    const { Table: table } = await client.send(new DescribeTableCommand({ TableName: name }));
    const indexesActive = (table?.GlobalSecondaryIndexes ?? []).every((index) => index.IndexStatus === 'ACTIVE');
    if (table !== undefined && table.TableStatus === 'ACTIVE' && indexesActive) return table;
    if (Date.now() + delayMs > deadline) {
      throw new CrossdockError(
        'TABLE_PROVISIONING',
        `table ${name}: not ACTIVE after ${timeoutMs} ms (status ${table?.TableStatus ?? 'unknown'})`,
        { retryable: true },
      );
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, 2_000);
  }
}

/** A table created earlier from another definition would fail later queries in obscure ways. */
function checkExistingTable(name: string, table: TableDefinition, description: TableDescription): void {
  const problems: string[] = [];
  const want = keySchema(table.partitionKey, table.sortKey);
  if (!sameKeys(want, description.KeySchema)) {
    problems.push(`key schema is ${describeKeys(description.KeySchema)}, expected ${describeKeys(want)}`);
  }
  for (const index of table.indexes) {
    const found = description.GlobalSecondaryIndexes?.find((gsi) => gsi.IndexName === index.name);
    const wantIndex = keySchema(index.partitionKey, index.sortKey);
    if (found === undefined) problems.push(`index ${index.name} is missing`);
    else if (!sameKeys(wantIndex, found.KeySchema)) {
      problems.push(`index ${index.name} has keys ${describeKeys(found.KeySchema)}, expected ${describeKeys(wantIndex)}`);
    }
  }
  if (problems.length > 0) {
    throw new CrossdockError('TABLE_MISMATCH', `table ${name}: ${problems.join('; ')}`);
  }
}

function sameKeys(want: KeySchemaElement[], have: KeySchemaElement[] | undefined): boolean {
  return describeKeys(want) === describeKeys(have);
}

function describeKeys(keys: KeySchemaElement[] | undefined): string {
  return (keys ?? []).map((key) => `${key.AttributeName}:${key.KeyType}`).join(',');
}

async function ensureTtl(client: DynamoDBClient, name: string, attribute: string): Promise<'enabled' | 'unsupported'> {
  const { TimeToLiveDescription: current } = await client.send(new DescribeTimeToLiveCommand({ TableName: name }));
  const status = current?.TimeToLiveStatus;
  // UpdateTimeToLive on a table whose TTL is already on fails with a ValidationException.
  if ((status === 'ENABLED' || status === 'ENABLING') && current?.AttributeName === attribute) return 'enabled';
  try {
    await client.send(new UpdateTimeToLiveCommand({
      TableName: name,
      TimeToLiveSpecification: { Enabled: true, AttributeName: attribute },
    }));
    return 'enabled';
  } catch (error) {
    // dynalite 4 implements DescribeTimeToLive (always DISABLED) but not UpdateTimeToLive.
    if (error instanceof DynamoDBServiceException && error.name === 'UnknownOperationException') return 'unsupported';
    throw error;
  }
}

async function ensureQueue(
  client: SQSClient,
  name: string,
  attributes: Partial<Record<QueueAttributeName, string>>,
): Promise<string> {
  try {
    const created = await client.send(new CreateQueueCommand({ QueueName: name, Attributes: attributes }));
    if (created.QueueUrl === undefined) throw new CrossdockError('QUEUE_PROVISIONING', `queue ${name}: CreateQueue gave no QueueUrl`);
    return created.QueueUrl;
  } catch (error) {
    // CreateQueue is idempotent only with identical attributes; an existing queue whose options
    // changed (another visibility timeout, maxReceiveCount) is updated in place.
    if (!(error instanceof QueueNameExists)) throw error;
  }
  const { QueueUrl: queueUrl } = await client.send(new GetQueueUrlCommand({ QueueName: name }));
  if (queueUrl === undefined) throw new CrossdockError('QUEUE_PROVISIONING', `queue ${name}: GetQueueUrl gave no QueueUrl`);
  await client.send(new SetQueueAttributesCommand({ QueueUrl: queueUrl, Attributes: attributes }));
  return queueUrl;
}
