import assert from 'node:assert/strict';
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { after, before, describe, test } from 'node:test';
import { DynamoDbRuleStore } from '../../../shared/rules/dynamodb-rule-store.ts';
import { DynamoDbSubscriptionStore } from '../../../shared/subscriptions/dynamodb-subscription-store.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

let aws: LocalAws;

before(async () => {
  aws = await startLocalAws();
});
after(() => aws?.close());

describe('a stored document that no longer matches its schema', () => {
  test('fails with the one catalogued RECORD_INVALID, naming the kind and key, for rules and subscriptions alike', async () => {
    for (const [pk, read] of [
      ['RULE#broken', () => new DynamoDbRuleStore(aws.clients.dynamodb, aws.tables.rules).get('broken')],
      ['SUB#broken', () => new DynamoDbSubscriptionStore(aws.clients.dynamodb, aws.tables.rules).get('broken')],
    ] as const) {
      await aws.clients.dynamodb.send(new PutItemCommand({ TableName: aws.tables.rules, Item: { pk: { S: pk }, doc: { S: '{"id":1}' } } }));
      await assert.rejects(read(), (error: { code?: string; message?: string }) => {
        assert.equal(error.code, 'RECORD_INVALID');
        assert.match(error.message ?? '', new RegExp(`^(rule|subscription) record ${pk}: `));
        return true;
      });
    }
  });
});
