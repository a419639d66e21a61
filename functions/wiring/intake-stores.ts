/**
 * The stores a push intake writes through, and nothing else: the webhook function's wiring. The
 * subscription, execution and link stores of stores.ts (and the schemas they bring) are not
 * loaded, so the webhook's cold start does not build what its deliveries never use.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { Logger } from '../../shared/log.ts';
import type { Queue } from '../../shared/queue/queue.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbRuleStore } from '../../shared/rules/dynamodb-rule-store.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';
import { localCredentials } from './local-credentials.ts';
import type { AwsSettings } from './stores.ts';

export interface IntakeStores {
  logger: Logger;
  ruleStore: DynamoDbRuleStore;
  taskStore: DynamoDbTaskStore;
  queue: Queue;
}

export function createIntakeStores(config: AwsSettings, logger: Logger): IntakeStores {
  const dynamodb = new DynamoDBClient({ region: config.region, ...localCredentials(config.dynamodbEndpoint) });
  const sqs = new SQSClient({ region: config.region, ...localCredentials(config.sqsEndpoint) });
  return {
    logger,
    ruleStore: new DynamoDbRuleStore(dynamodb, config.rulesTable),
    taskStore: new DynamoDbTaskStore({ client: dynamodb, tableName: config.tasksTable, retentionDays: config.retentionDays }),
    queue: new SqsQueue(sqs, config.queueUrl, logger),
  };
}
