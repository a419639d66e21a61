/**
 * Subscriptions in DynamoDB, beside the rules (table `rules`, pk `SUB#<id>`, doc). They carry no
 * `sourceRegistry`, so the rules' index never sees them. Access patterns: by id (GetItem), all
 * (Scan on the `SUB#` prefix; subscriptions number in the hundreds at most).
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CrossdockError } from '../errors.ts';
import { Subscription } from './subscription.ts';

type Item = Record<string, AttributeValue>;

export class SubscriptionNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('SUBSCRIPTION_NOT_FOUND', `subscription ${id} does not exist`);
  }
}

export interface SubscriptionStore {
  put(subscription: Subscription): Promise<void>;
  get(id: string): Promise<Subscription | undefined>;
  delete(id: string): Promise<boolean>;
  list(): Promise<Subscription[]>;
}

export class DynamoDbSubscriptionStore implements SubscriptionStore {
  constructor(private readonly client: DynamoDBClient, private readonly tableName: string) {}

  async put(subscription: Subscription): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { pk: { S: `SUB#${subscription.id}` }, doc: { S: JSON.stringify(subscription) } } }));
  }

  async get(id: string): Promise<Subscription | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: `SUB#${id}` } }, ConsistentRead: true }));
    return response.Item ? parse(response.Item) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const response = await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { pk: { S: `SUB#${id}` } }, ReturnValues: 'ALL_OLD' }));
    return response.Attributes !== undefined;
  }

  async list(): Promise<Subscription[]> {
    const items: Subscription[] = [];
    let start: Item | undefined;
    do {
      const response = await this.client.send(new ScanCommand({
        TableName: this.tableName,
        FilterExpression: 'begins_with(pk, :sub)',
        ExpressionAttributeValues: { ':sub': { S: 'SUB#' } },
        ...(start ? { ExclusiveStartKey: start } : {}),
      }));
      items.push(...(response.Items ?? []).map(parse));
      start = response.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }
}

function parse(item: Item): Subscription {
  const parsed = Subscription.safeParse(JSON.parse(item.doc?.S ?? 'null'));
  if (!parsed.success) throw new CrossdockError('SUBSCRIPTION_RECORD_INVALID', `subscription record ${item.pk?.S ?? '?'}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return parsed.data;
}
