/**
 * Documents in DynamoDB: one item per document, `pk` = `<PREFIX>#<id>`, the document as JSON in
 * `doc` (validated with its schema on every read), plus any index attributes the caller adds.
 * Rules and subscriptions share the rules table this way, told apart by their prefix.
 */
import { DeleteItemCommand, GetItemCommand, PutItemCommand, QueryCommand, ScanCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { z } from 'zod';
import { CrossdockError } from '../errors.ts';

export type Item = Record<string, AttributeValue>;

export class DynamoDbDocuments<S extends z.ZodType> {
  constructor(
    private readonly client: DynamoDBClient,
    private readonly tableName: string,
    private readonly prefix: string,
    private readonly schema: S,
    /** Names the documents in errors: `rule`, `subscription`. */
    private readonly what: string,
  ) {}

  async put(id: string, document: z.output<S>, attributes: Item = {}): Promise<void> {
    await this.client.send(new PutItemCommand({ TableName: this.tableName, Item: { pk: { S: `${this.prefix}#${id}` }, doc: { S: JSON.stringify(document) }, ...attributes } }));
  }

  async get(id: string): Promise<z.output<S> | undefined> {
    const response = await this.client.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: { S: `${this.prefix}#${id}` } }, ConsistentRead: true }));
    return response.Item ? this.#parse(response.Item) : undefined;
  }

  async delete(id: string): Promise<boolean> {
    const response = await this.client.send(new DeleteItemCommand({ TableName: this.tableName, Key: { pk: { S: `${this.prefix}#${id}` } }, ReturnValues: 'ALL_OLD' }));
    return response.Attributes !== undefined;
  }

  /** Every document of this prefix (a Scan: for collections of hundreds, not millions). */
  async all(): Promise<Array<z.output<S>>> {
    return this.#pages((start) => this.client.send(new ScanCommand({
      TableName: this.tableName,
      FilterExpression: 'begins_with(pk, :prefix)',
      ExpressionAttributeValues: { ':prefix': { S: `${this.prefix}#` } },
      ...(start ? { ExclusiveStartKey: start } : {}),
    })));
  }

  /** Every document an index holds under one key value. */
  async byIndex(index: string, attribute: string, value: string): Promise<Array<z.output<S>>> {
    return this.#pages((start) => this.client.send(new QueryCommand({
      TableName: this.tableName,
      IndexName: index,
      KeyConditionExpression: '#key = :value',
      ExpressionAttributeNames: { '#key': attribute },
      ExpressionAttributeValues: { ':value': { S: value } },
      ...(start ? { ExclusiveStartKey: start } : {}),
    })));
  }

  async #pages(page: (start: Item | undefined) => Promise<{ Items?: Item[]; LastEvaluatedKey?: Item }>): Promise<Array<z.output<S>>> {
    const documents: Array<z.output<S>> = [];
    let start: Item | undefined;
    do {
      const response = await page(start);
      documents.push(...(response.Items ?? []).map((item) => this.#parse(item)));
      start = response.LastEvaluatedKey;
    } while (start);
    return documents;
  }

  #parse(item: Item): z.output<S> {
    let json: unknown;
    try {
      json = JSON.parse(item.doc?.S ?? 'null');
    } catch {
      json = undefined;
    }
    const parsed = this.schema.safeParse(json);
    if (!parsed.success) {
      throw new CrossdockError('RECORD_INVALID', `${this.what} record ${item.pk?.S ?? '?'}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
    }
    return parsed.data;
  }
}
