/**
 * Link slots in DynamoDB: one item per link in the tasks table (live state, like the tag heads),
 *
 *   pk `LINKSTATE#<linkId>`  state (JSON: leases and waiting tasks)  version  expiresAt (TTL)
 *
 * Every change is a read (consistent GetItem) and a PutItem conditioned on the version read:
 * two workers changing the same link at once cannot lose each other's lease or place in the
 * queue; the loser reads again. Cost per running task: one read and one write a second (its
 * renewal), each under 1 KB for links of up to a few dozen running and waiting tasks; a task that
 * joins running ones also reads the item a few times (no write) until they have all seen it.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CrossdockError } from '../errors.ts';
import { occupancyOf, type LinkOccupancy, type LinkOccupancyReader } from './link-occupancy.ts';
import { decideSlot, EMPTY_STATE, joinState, releaseLease, renewLease, SlotState, type JoinAnswer, type LinkSlots, type SlotAnswer, type SlotRequest } from './link-slots.ts';

/** An idle link's state item is removed by TTL after a day (it is recreated on the next task). */
const STATE_TTL_S = 86_400;
const MAX_ROUNDS = 25;

export interface DynamoDbLinkSlotsOptions {
  client: DynamoDBClient;
  tableName: string;
  now?: () => number;
}

export class DynamoDbLinkSlots implements LinkSlots, LinkOccupancyReader {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #now: () => number;

  constructor(options: DynamoDbLinkSlotsOptions) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#now = options.now ?? Date.now;
  }

  acquire(request: SlotRequest): Promise<SlotAnswer> {
    return this.#change(request.linkId, (state, now) => {
      const { answer, next } = decideSlot(state, request, now);
      return { value: answer, next };
    });
  }

  renew(linkId: string, taskId: string, owner: string): Promise<number | 'lost'> {
    return this.#change(linkId, (state, now) => {
      const { running, next } = renewLease(state, taskId, owner, now);
      return { value: running, next };
    });
  }

  async joined(linkId: string, taskId: string, owner: string): Promise<JoinAnswer> {
    const { state } = await this.#read(linkId);
    return joinState(state, taskId, owner, this.#now());
  }

  async release(linkId: string, taskId: string, owner: string): Promise<void> {
    await this.#change(linkId, (state, now) => ({ value: undefined, next: releaseLease(state, taskId, owner, now) }));
  }

  /** Running and queued now (one GetItem; nothing written). */
  async occupancy(linkId: string): Promise<LinkOccupancy> {
    const { state } = await this.#read(linkId);
    return occupancyOf(state, this.#now());
  }

  async #change<T>(linkId: string, change: (state: SlotState, now: number) => { value: T; next: SlotState }): Promise<T> {
    const key = stateKey(linkId);
    for (let round = 0; round < MAX_ROUNDS; round++) {
      const { version, state } = await this.#read(linkId);
      const now = this.#now();
      const { value, next } = change(state, now);
      try {
        await this.#client.send(new PutItemCommand({
          TableName: this.#table,
          Item: { ...key, state: { S: JSON.stringify(next) }, version: { N: String(Number(version ?? '0') + 1) }, expiresAt: { N: String(Math.floor(now / 1000) + STATE_TTL_S) } },
          ConditionExpression: version === undefined ? 'attribute_not_exists(pk)' : 'version = :version',
          ...(version === undefined ? {} : { ExpressionAttributeValues: { ':version': { N: version } } }),
        }));
        return value;
      } catch (error) {
        if (!(error instanceof ConditionalCheckFailedException)) throw error;
        // Another worker changed the link meanwhile: read again, after a moment that spreads the retries.
        await new Promise((resolve) => setTimeout(resolve, 2 + Math.random() * 10 * (round + 1)));
      }
    }
    throw new CrossdockError('LINK_STATE_BUSY', `link ${linkId}: its shared state changed under every one of ${MAX_ROUNDS} attempts`, { retryable: true });
  }

  async #read(linkId: string): Promise<{ version: string | undefined; state: SlotState }> {
    const response = await this.#client.send(new GetItemCommand({ TableName: this.#table, Key: stateKey(linkId), ConsistentRead: true }));
    return { version: response.Item?.version?.N, state: response.Item?.state?.S ? parseState(response.Item.state.S, linkId) : EMPTY_STATE };
  }
}

function stateKey(linkId: string) {
  return { pk: { S: `LINKSTATE#${linkId}` } };
}

function parseState(text: string, linkId: string): SlotState {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  const parsed = SlotState.safeParse(json);
  if (!parsed.success) throw new CrossdockError('RECORD_INVALID', `link ${linkId}: its state item is not valid (${parsed.error.issues[0]?.message ?? 'unknown'})`);
  return parsed.data;
}
