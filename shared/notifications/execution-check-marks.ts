/**
 * Which executions have a finish check on its way: one mark per execution, so that an execution's
 * many finishing tasks (and concurrent workers finishing its last ones) schedule one check between
 * them instead of one each. The mark holds until `pendingUntil`: when the check message was lost
 * (or keeps failing), a task finishing after that time schedules another.
 *
 * Layout: pk `NOTIFYCHECK#<execution id>` in the tasks table, no index attributes (no listing or
 * sweep sees it), expiring with the records (TTL). Written only for executions a target wants to
 * hear about: tasks of other executions cost nothing more.
 */
import { ConditionalCheckFailedException, PutItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';

export interface ExecutionCheckMarks {
  /** True for the caller that placed the mark (it sends the check); false while one is pending. */
  arm(executionId: string, now: Date, pendingUntil: Date): Promise<boolean>;
  /** Lapsed by the check before it reads the tasks: a task finishing after that arms again. */
  disarm(executionId: string): Promise<void>;
}

export class DynamoDbExecutionCheckMarks implements ExecutionCheckMarks {
  readonly #client: DynamoDBClient;
  readonly #table: string;
  readonly #retentionS: number;

  constructor(options: { client: DynamoDBClient; tableName: string; retentionDays: number }) {
    this.#client = options.client;
    this.#table = options.tableName;
    this.#retentionS = options.retentionDays * 86_400;
  }

  async arm(executionId: string, now: Date, pendingUntil: Date): Promise<boolean> {
    try {
      await this.#client.send(new PutItemCommand({
        TableName: this.#table,
        Item: {
          pk: { S: `NOTIFYCHECK#${executionId}` },
          pendingUntil: { N: String(pendingUntil.getTime()) },
          expiresAt: { N: String(Math.floor(now.getTime() / 1000) + this.#retentionS) },
        },
        ConditionExpression: 'attribute_not_exists(pk) OR pendingUntil < :now',
        ExpressionAttributeValues: { ':now': { N: String(now.getTime()) } },
      }));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async disarm(executionId: string): Promise<void> {
    // Lapsed rather than deleted: the worker's role deletes nothing.
    await this.#client.send(new UpdateItemCommand({
      TableName: this.#table,
      Key: { pk: { S: `NOTIFYCHECK#${executionId}` } },
      UpdateExpression: 'SET pendingUntil = :lapsed, expiresAt = if_not_exists(expiresAt, :expires)',
      ExpressionAttributeValues: { ':lapsed': { N: '0' }, ':expires': { N: String(Math.floor(Date.now() / 1000) + this.#retentionS) } },
    }));
  }
}
