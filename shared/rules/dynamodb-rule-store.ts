/**
 * Rules in DynamoDB.
 *
 * Layout (table `rules`, see infra/aws/tables.ts): pk `RULE#<id>`, doc (the Rule as JSON), id,
 * sourceRegistry (registryKey: lowercase, loopback aliases as 127.0.0.1). Access patterns: by id (GetItem), every rule (Scan), the rules a
 * push to a registry may match (Query bySourceRegistry).
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CrossdockError } from '../errors.ts';
import { registryKey, Rule } from './rule.ts';
import type { RuleStore } from './rule-store.ts';

type Item = Record<string, AttributeValue>;

export class DynamoDbRuleStore implements RuleStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async put(rule: Rule): Promise<void> {
    await this.client.send(new PutItemCommand({
      TableName: this.tableName,
      Item: { pk: { S: `RULE#${rule.id}` }, id: { S: rule.id }, sourceRegistry: { S: registryKey(rule.source.registry) }, doc: { S: JSON.stringify(rule) } },
    }));
  }

  async get(id: string): Promise<Rule | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: `RULE#${id}` } }, ConsistentRead: true }));
    return response.Item ? parse(response.Item) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const response = await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { pk: { S: `RULE#${id}` } }, ReturnValues: 'ALL_OLD' }));
    return response.Attributes !== undefined;
  }

  async list(): Promise<Rule[]> {
    const rules: Rule[] = [];
    let start: Item | undefined;
    do {
      // The table also holds subscriptions (`SUB#`): rules only.
      const response = await this.client.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(pk, :rule)',
        ExpressionAttributeValues: { ':rule': { S: 'RULE#' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      rules.push(...(response.Items ?? []).map(parse));
      start = response.LastEvaluatedKey;
    } while (start);
    return rules.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async listBySourceRegistry(registry: string): Promise<Rule[]> {
    const rules: Rule[] = [];
    let start: Item | undefined;
    do {
      const response = await this.client.send(new QueryCommand({
        TableName: this.tableName,
        IndexName: 'bySourceRegistry',
        KeyConditionExpression: 'sourceRegistry = :registry',
        ExpressionAttributeValues: { ':registry': { S: registryKey(registry) } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      rules.push(...(response.Items ?? []).map(parse));
      start = response.LastEvaluatedKey;
    } while (start);
    return rules;
  }
}

function parse(item: Item): Rule {
  const parsed = Rule.safeParse(JSON.parse(item.doc?.S ?? 'null'));
  if (!parsed.success) throw new CrossdockError('RULE_RECORD_INVALID', `rule record ${item.pk?.S ?? '?'}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
