/**
 * Rules in DynamoDB.
 *
 * Layout (table `rules`, see infra/aws/tables.ts): pk `RULE#<id>`, doc (the Rule as JSON), id,
 * sourceRegistry (registryKey: lowercase, loopback aliases as 127.0.0.1). Access patterns: by id
 * (GetItem), every rule (Scan on the prefix), the rules a push to a registry may match (Query
 * bySourceRegistry). Subscriptions share the table under `SUB#` and never enter that index.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbDocuments } from '../store/dynamodb-documents.ts';
import { registryKey, Rule } from './rule.ts';
import type { RuleStore } from './rule-store.ts';

export class DynamoDbRuleStore implements RuleStore {
  readonly #documents: DynamoDbDocuments<typeof Rule>;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#documents = new DynamoDbDocuments(client, tableName, 'RULE', Rule, 'rule');
  }

  put(rule: Rule): Promise<void> {
    return this.#documents.put(rule.id, rule, { id: { S: rule.id }, sourceRegistry: { S: registryKey(rule.source.registry) } });
  }

  get(id: string): Promise<Rule | undefined> {
    return this.#documents.get(id);
  }

  delete(id: string): Promise<boolean> {
    return this.#documents.delete(id);
  }

  async list(): Promise<Rule[]> {
    return (await this.#documents.all()).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  listBySourceRegistry(registry: string): Promise<Rule[]> {
    return this.#documents.byIndex('bySourceRegistry', 'sourceRegistry', registryKey(registry));
  }
}
