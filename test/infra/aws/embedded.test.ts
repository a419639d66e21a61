import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  ConditionalCheckFailedException,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type AttributeValue,
} from '@aws-sdk/client-dynamodb';
import { createAwsClients } from '../../../infra/aws/clients.ts';
import { startEmbeddedDynamoDb } from '../../../infra/aws/embedded.ts';
import { ensureTables } from '../../../infra/aws/provision.ts';
import { TASKS_TABLE, tableName } from '../../../infra/aws/tables.ts';
import { startLocalAws, TEST_REGION, type DynamoDbEngine, type LocalAws } from '../../support/aws.ts';

type Item = Record<string, AttributeValue>;

function task(id: string, fields: { status: string; createdAt: string; version?: number }): Item {
  return {
    pk: { S: `TASK#${id}` },
    status: { S: fields.status },
    createdAt: { S: fields.createdAt },
    // A partition of the byTime index per status here, so that one query pages through one group.
    listKey: { S: `T#${fields.status}` },
    listAt: { S: `${fields.createdAt}#${id}` },
    ruleId: { S: 'rule-1' },
    src: { S: 'ghcr.io/org/app' },
    version: { N: String(fields.version ?? 1) },
  };
}

for (const engine of ['dynalite', 'dynamodb-local'] satisfies DynamoDbEngine[]) {
  describe(`DynamoDB tables on ${engine}`, () => {
    let aws: LocalAws;

    before(async () => {
      aws = await startLocalAws({ dynamodb: engine });
    });

    after(async () => {
      await aws?.close();
    });

    it('creates both tables on demand billing; the task indexes project only keys and immutable attributes', async () => {
      const { Table: tasks } = await aws.clients.dynamodb.send(new DescribeTableCommand({ TableName: aws.tables.tasks }));
      const { Table: rules } = await aws.clients.dynamodb.send(new DescribeTableCommand({ TableName: aws.tables.rules }));

      assert.equal(tasks?.BillingModeSummary?.BillingMode, 'PAY_PER_REQUEST');
      assert.deepEqual(tasks?.KeySchema, [{ AttributeName: 'pk', KeyType: 'HASH' }]);
      const indexes = (tasks?.GlobalSecondaryIndexes ?? [])
        .map((index) => ({
          name: index.IndexName,
          keys: index.KeySchema?.map((key) => `${key.AttributeName}:${key.KeyType}`),
          projection: [index.Projection?.ProjectionType, ...(index.Projection?.NonKeyAttributes ?? []).sort()].join(' '),
          status: index.IndexStatus,
        }))
        .sort((a, b) => String(a.name).localeCompare(String(b.name)));
      assert.deepEqual(indexes, [
        { name: 'byTime', keys: ['listKey:HASH', 'listAt:RANGE'], projection: 'INCLUDE dst executionId ruleId src', status: 'ACTIVE' },
        { name: 'byWaiting', keys: ['waitKey:HASH', 'listAt:RANGE'], projection: 'KEYS_ONLY', status: 'ACTIVE' },
      ]);
      assert.deepEqual(
        rules?.GlobalSecondaryIndexes?.map((index) => [index.IndexName, index.KeySchema?.map((key) => key.AttributeName)]),
        [['bySourceRegistry', ['sourceRegistry', 'id']]],
      );
    });

    it('a put conditioned on attribute_not_exists(pk) succeeds once, then fails with ConditionalCheckFailedException', async () => {
      const put = (status: string) => aws.clients.dynamodb.send(new PutItemCommand({
        TableName: aws.tables.tasks,
        Item: task('put-once', { status, createdAt: '2025-01-01T00:00:00.000Z' }),
        ConditionExpression: 'attribute_not_exists(pk)',
      }));

      await put('PENDING');
      await assert.rejects(put('RUNNING'), ConditionalCheckFailedException);

      const { Item: stored } = await aws.clients.dynamodb.send(new GetItemCommand({
        TableName: aws.tables.tasks,
        Key: { pk: { S: 'TASK#put-once' } },
      }));
      assert.equal(stored?.['status']?.S, 'PENDING');
    });

    it('a query on a GSI returns every match page by page with Limit and ExclusiveStartKey, newest first', async () => {
      for (let i = 0; i < 7; i++) {
        const createdAt = `2025-02-0${i + 1}T00:00:00.000Z`;
        await aws.clients.dynamodb.send(new PutItemCommand({
          TableName: aws.tables.tasks,
          Item: task(`paged-${i}`, { status: 'QUEUED', createdAt }),
        }));
      }
      await aws.clients.dynamodb.send(new PutItemCommand({
        TableName: aws.tables.tasks,
        Item: task('other-status', { status: 'SUCCEEDED', createdAt: '2025-02-04T12:00:00.000Z' }),
      }));

      const pages: string[][] = [];
      let startKey: Item | undefined;
      do {
        const page = await aws.clients.dynamodb.send(new QueryCommand({
          TableName: aws.tables.tasks,
          IndexName: 'byTime',
          KeyConditionExpression: 'listKey = :key',
          ExpressionAttributeValues: { ':key': { S: 'T#QUEUED' } },
          ScanIndexForward: false,
          Limit: 3,
          ...(startKey === undefined ? {} : { ExclusiveStartKey: startKey }),
        }));
        pages.push((page.Items ?? []).map((item) => item['pk']?.S ?? ''));
        startKey = page.LastEvaluatedKey;
        assert.ok(pages.length <= 4, 'pagination does not end');
      } while (startKey !== undefined);

      assert.deepEqual(pages, [
        ['TASK#paged-6', 'TASK#paged-5', 'TASK#paged-4'],
        ['TASK#paged-3', 'TASK#paged-2', 'TASK#paged-1'],
        ['TASK#paged-0'],
      ]);
    });

    it('an update conditioned on the stored version applies once and fails for a stale version', async () => {
      await aws.clients.dynamodb.send(new PutItemCommand({
        TableName: aws.tables.tasks,
        Item: task('claim', { status: 'QUEUED', createdAt: '2025-03-01T00:00:00.000Z', version: 1 }),
      }));
      const claim = () => aws.clients.dynamodb.send(new UpdateItemCommand({
        TableName: aws.tables.tasks,
        Key: { pk: { S: 'TASK#claim' } },
        UpdateExpression: 'SET #status = :running, #version = #version + :one',
        ConditionExpression: '#version = :expected',
        ExpressionAttributeNames: { '#status': 'status', '#version': 'version' },
        ExpressionAttributeValues: { ':running': { S: 'RUNNING' }, ':one': { N: '1' }, ':expected': { N: '1' } },
        ReturnValues: 'ALL_NEW',
      }));

      const first = await claim();
      await assert.rejects(claim(), ConditionalCheckFailedException);

      assert.equal(first.Attributes?.['status']?.S, 'RUNNING');
      assert.equal(first.Attributes?.['version']?.N, '2');
    });

    it('ensureTables again keeps the tables and their items, and reports TTL as the server supports it', async () => {
      await aws.clients.dynamodb.send(new PutItemCommand({
        TableName: aws.tables.tasks,
        Item: task('survivor', { status: 'QUEUED', createdAt: '2025-04-01T00:00:00.000Z' }),
      }));

      const provisioned = await ensureTables(aws.clients.dynamodb, aws.prefix);

      const { Item: stored } = await aws.clients.dynamodb.send(new GetItemCommand({
        TableName: aws.tables.tasks,
        Key: { pk: { S: 'TASK#survivor' } },
      }));
      assert.equal(stored?.['pk']?.S, 'TASK#survivor');
      const { TimeToLiveDescription: ttl } = await aws.clients.dynamodb.send(new DescribeTimeToLiveCommand({
        TableName: aws.tables.tasks,
      }));
      if (engine === 'dynamodb-local') {
        // DynamoDB Local implements UpdateTimeToLive: TTL is on, on the attribute tables.ts names.
        assert.deepEqual(provisioned, [
          { name: aws.tables.rules, ttl: 'none' },
          { name: aws.tables.tasks, ttl: 'enabled' },
        ]);
        assert.deepEqual(ttl, { TimeToLiveStatus: 'ENABLED', AttributeName: 'expiresAt' });
      } else {
        // dynalite answers UpdateTimeToLive with UnknownOperationException: items never expire there.
        assert.deepEqual(provisioned, [
          { name: aws.tables.rules, ttl: 'none' },
          { name: aws.tables.tasks, ttl: 'unsupported' },
        ]);
        assert.deepEqual(ttl, { TimeToLiveStatus: 'DISABLED' });
      }
    });
  });
}

describe('dynalite with a data directory', () => {
  let dataDir: string;

  before(async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'crossdock-dynalite-'));
  });

  after(async () => {
    await rm(dataDir, { recursive: true, force: true });
  });

  it('keeps tables and items across close() and a restart on the same directory', async () => {
    const table = tableName('persist', TASKS_TABLE);
    const first = await startEmbeddedDynamoDb({ dataDir });
    const firstClients = createAwsClients({ region: TEST_REGION, dynamodbEndpoint: first.endpoint });
    try {
      await ensureTables(firstClients.dynamodb, 'persist', [TASKS_TABLE]);
      await firstClients.dynamodb.send(new PutItemCommand({
        TableName: table,
        Item: task('kept', { status: 'SUCCEEDED', createdAt: '2025-05-01T00:00:00.000Z' }),
      }));
    } finally {
      firstClients.dynamodb.destroy();
      firstClients.sqs.destroy();
      await first.close();
    }

    const second = await startEmbeddedDynamoDb({ dataDir });
    const secondClients = createAwsClients({ region: TEST_REGION, dynamodbEndpoint: second.endpoint });
    try {
      const { Item: stored } = await secondClients.dynamodb.send(new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'TASK#kept' } },
      }));
      const { Items: byTime } = await secondClients.dynamodb.send(new QueryCommand({
        TableName: table,
        IndexName: 'byTime',
        KeyConditionExpression: 'listKey = :key',
        ExpressionAttributeValues: { ':key': { S: 'T#SUCCEEDED' } },
      }));

      assert.equal(stored?.['createdAt']?.S, '2025-05-01T00:00:00.000Z');
      assert.deepEqual(byTime?.map((item) => item['pk']?.S), ['TASK#kept']);
    } finally {
      secondClients.dynamodb.destroy();
      secondClients.sqs.destroy();
      await second.close();
    }
  });
});
