/**
 * Links in DynamoDB, stored with the rules (table `rules`, see infra/aws/tables.ts):
 *
 *   pk `LINK#<id>`          doc (the Link as JSON), sourceRegistry `LINK#` + id (index bySourceRegistry)
 *   pk `LINKPAIR#<src>><dst>` linkId: the pair's one link (the uniqueness guard)
 *
 * Access patterns: by id (GetItem), every link (Query bySourceRegistry on `LINK#`, a value no
 * registry name can take, so rules' queries never see links; links are few, and the worker
 * caches the list), create/replace (conditional PutItem on the pair, then PutItem of the link),
 * delete (DeleteItem of both). Without transactions (the embedded DynamoDB has none) a crash
 * between the two writes leaves a pair item naming a missing link; the next put of that pair
 * takes it over instead of reporting a conflict with a link that does not exist.
 */
import { ConditionalCheckFailedException, DeleteItemCommand, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDbDocuments } from '../store/dynamodb-documents.ts';
import { Link, pairKey } from './link.ts';
import { LinkConflictError, type LinkStore } from './link-store.ts';

/** The index partition holding every link: `#` never appears in a registry name. */
const LINKS_PARTITION = 'LINK#';

export class DynamoDbLinkStore implements LinkStore {
  readonly #documents: DynamoDbDocuments<typeof Link>;
  readonly #client: DynamoDBClient;
  readonly #table: string;

  constructor(client: DynamoDBClient, tableName: string) {
    this.#client = client;
    this.#table = tableName;
    this.#documents = new DynamoDbDocuments(client, tableName, 'LINK', Link, 'link');
  }

  async put(link: Link): Promise<void> {
    const pair = pairKey(link.sourceRegistry, link.destinationRegistry);
    const previous = await this.#documents.get(link.id);
    await this.#claimPair(pair, link.id);
    await this.#documents.put(link.id, link, { sourceRegistry: { S: LINKS_PARTITION }, id: { S: link.id } });
    const previousPair = previous && pairKey(previous.sourceRegistry, previous.destinationRegistry);
    if (previousPair !== undefined && previousPair !== pair) await this.#releasePair(previousPair, link.id);
  }

  get(id: string): Promise<Link | undefined> {
    return this.#documents.get(id);
  }

  async delete(id: string): Promise<boolean> {
    const link = await this.#documents.get(id);
    if (!link) return false;
    await this.#documents.delete(id);
    await this.#releasePair(pairKey(link.sourceRegistry, link.destinationRegistry), id);
    return true;
  }

  async list(): Promise<Link[]> {
    return (await this.#documents.byIndex('bySourceRegistry', 'sourceRegistry', LINKS_PARTITION)).sort((a, b) => a.createdAt.localeCompare(b.createdAt) || a.id.localeCompare(b.id));
  }

  async #claimPair(pair: string, id: string, stale?: string, attempt = 0): Promise<void> {
    try {
      await this.#client.send(new PutItemCommand({
        TableName: this.#table,
        Item: { pk: { S: `LINKPAIR#${pair}` }, linkId: { S: id } },
        ConditionExpression: `attribute_not_exists(pk) OR linkId = :id${stale === undefined ? '' : ' OR linkId = :stale'}`,
        ExpressionAttributeValues: { ':id': { S: id }, ...(stale === undefined ? {} : { ':stale': { S: stale } }) },
      }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const holder = await this.#pairHolder(pair);
      const existing = holder === undefined ? undefined : await this.#documents.get(holder);
      if (existing) throw new LinkConflictError(pair, existing);
      // The pair names a link that is gone (a crash between writes) or was released meanwhile.
      if (attempt >= 2) throw error;
      await this.#claimPair(pair, id, holder, attempt + 1);
    }
  }

  async #pairHolder(pair: string): Promise<string | undefined> {
    const response = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: { pk: { S: `LINKPAIR#${pair}` } }, ConsistentRead: true }));
    return response.Item?.linkId?.S;
  }

  async #releasePair(pair: string, id: string): Promise<void> {
    try {
      await this.#client.send(new DeleteItemCommand({
        TableName: this.#table,
        Key: { pk: { S: `LINKPAIR#${pair}` } },
        ConditionExpression: 'linkId = :id',
        ExpressionAttributeValues: { ':id': { S: id } },
      }));
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}
