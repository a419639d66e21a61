// The embedded DynamoDB closes the LevelDB iterator behind every Query and Scan (issue 8): dynalite
// alone left each one open, pinning native memory for the life of the process. Counted through
// abstract-level's public attachResource/detachResource, which every database calls as an
// iterator opens and closes.
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { PutItemCommand, QueryCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { createAwsClients, type AwsClients } from '../../../infra/aws/clients.ts';
import { startEmbeddedDynamoDb, type EmbeddedServer } from '../../../infra/aws/embedded.ts';
import { ensureTables } from '../../../infra/aws/provision.ts';
import { TASKS_TABLE, tableName } from '../../../infra/aws/tables.ts';

interface Resource { constructor: { name: string } }
interface AbstractLevelPrototype {
  attachResource(resource: Resource): void;
  detachResource(resource: Resource): void;
}

// abstract-level as dynalite's LevelDB resolves it.
const { AbstractLevel } = createRequire(createRequire(import.meta.url).resolve('dynalite'))('abstract-level') as { AbstractLevel: { prototype: AbstractLevelPrototype } };

for (const storage of ['on disk', 'in memory'] as const) {
  describe(`embedded DynamoDB ${storage}: LevelDB iterators`, () => {
    const open = new Set<Resource>();
    const { attachResource, detachResource } = AbstractLevel.prototype;
    let dir: string;
    let server: EmbeddedServer;
    let clients: AwsClients;
    let table: string;

    before(async () => {
      AbstractLevel.prototype.attachResource = function (this: AbstractLevelPrototype, resource: Resource) {
        if (/Iterator$/.test(resource.constructor.name)) open.add(resource);
        attachResource.call(this, resource);
      };
      AbstractLevel.prototype.detachResource = function (this: AbstractLevelPrototype, resource: Resource) {
        open.delete(resource);
        detachResource.call(this, resource);
      };
      dir = await mkdtemp(join(tmpdir(), 'crossdock-dynalite-'));
      server = await startEmbeddedDynamoDb(storage === 'on disk' ? { dataDir: join(dir, 'data') } : {});
      clients = createAwsClients({ region: 'us-east-1', dynamodbEndpoint: server.endpoint });
      await ensureTables(clients.dynamodb, 'iterators');
      table = tableName('iterators', TASKS_TABLE);
      for (let i = 0; i < 5; i++) {
        await clients.dynamodb.send(new PutItemCommand({ TableName: table, Item: { pk: { S: `TASK#${i}` }, listKey: { S: 'T#PENDING' }, listAt: { S: `2026-12-01T00:00:0${i}Z#${i}` }, status: { S: 'PENDING' } } }));
      }
    });

    after(async () => {
      AbstractLevel.prototype.attachResource = attachResource;
      AbstractLevel.prototype.detachResource = detachResource;
      clients?.dynamodb.destroy();
      await server?.close();
      await rm(dir, { force: true, recursive: true });
    });

    /** Open iterators once the closes the queries started have run (they end after the answer). */
    async function openAfterSettling(): Promise<number> {
      for (let i = 0; i < 50 && open.size > 0; i++) await sleep(20);
      return open.size;
    }

    it('closes the iterator of a query stopped at its Limit, of one read to the end, and of a scan', async () => {
      for (let i = 0; i < 10; i++) {
        const limited = await clients.dynamodb.send(new QueryCommand({ TableName: table, IndexName: 'byTime', KeyConditionExpression: 'listKey = :k', ExpressionAttributeValues: { ':k': { S: 'T#PENDING' } }, Limit: 1 }));
        assert.equal(limited.Items?.length, 1);
        const whole = await clients.dynamodb.send(new QueryCommand({ TableName: table, IndexName: 'byTime', KeyConditionExpression: 'listKey = :k', ExpressionAttributeValues: { ':k': { S: 'T#PENDING' } } }));
        assert.equal(whole.Items?.length, 5);
        const scanned = await clients.dynamodb.send(new ScanCommand({ TableName: table, Limit: 2 }));
        assert.equal(scanned.Items?.length, 2);
      }
      assert.equal(await openAfterSettling(), 0, 'LevelDB iterators left open after 30 queries and scans');
    });
  });
}
