/**
 * Which notifications were sent: a claim per (notification id, target), taken before the first
 * delivery attempt. A duplicate SQS delivery, a second worker finishing the same task, or the
 * execution check running twice finds the claim taken and sends nothing: each
 * notification goes at most once to each target (delivery retries included), never twice.
 */
import { ConditionalCheckFailedException, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface NotificationLedger {
  /** True for the first caller with this key; false for every later one. */
  claim(notificationId: string, target: string, now: Date): Promise<boolean>;
}

export class MemoryNotificationLedger implements NotificationLedger {
  readonly #claimed = new Set<string>();
  async claim(notificationId: string, target: string): Promise<boolean> {
    const key = `${notificationId}\u0000${target}`;
    if (this.#claimed.has(key)) return false;
    this.#claimed.add(key);
    return true;
  }
}

/**
 * Claims live in the tasks table beside the records: pk `NOTIFY#<target>#<notification id>`,
 * no index attributes (so no list or sweep ever sees them), expiring with the records (TTL).
 */
export class DynamoDbNotificationLedger implements NotificationLedger {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #retentionS: number;

  constructor(options: { client: DynamoDBClient; tableName: string; retentionDays: number }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionS = options.retentionDays * 86_400;
  }

  async claim(notificationId: string, target: string, now: Date): Promise<boolean> {
    try {
      await this.#client.send(new PutItemCommand({
        TableName: this.#table,
        Item: {
          pk: { S: `NOTIFY#${target}#${notificationId}` },
          sentAt: { S: now.toISOString() },
          expiresAt: { N: String(Math.floor(now.getTime() / 1000) + this.#retentionS) },
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }
}
