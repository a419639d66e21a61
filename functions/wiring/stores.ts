/**
 * The AWS half of the wiring: DynamoDB and SQS clients, the stores and the queue, built from the
 * service configuration. No registry client here, so the functions that never talk to a
 * registry (webhook, sweep) bundle without undici.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';
import type { ServiceConfig } from '../../shared/config.ts';
import { DynamoDbLinkSlots } from '../../shared/links/dynamodb-link-slots.ts';
import { DynamoDbLinkStore } from '../../shared/links/dynamodb-link-store.ts';
import { DynamoDbExecutionStore } from '../../shared/executions/dynamodb-execution-store.ts';
import type { Logger } from '../../shared/log.ts';
import type { Queue } from '../../shared/queue/queue.ts';
import { SqsQueueDepth, type QueueDepth } from '../../shared/queue/queue-depth.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { DynamoDbRuleStore } from '../../shared/rules/dynamodb-rule-store.ts';
import { DynamoDbSubscriptionStore } from '../../shared/subscriptions/dynamodb-subscription-store.ts';
import { DynamoDbTaskStore } from '../../shared/tasks/dynamodb-task-store.ts';
import { localCredentials } from './local-credentials.ts';

export type AwsSettings = Pick<ServiceConfig, 'region' | 'dynamodbEndpoint' | 'sqsEndpoint' | 'rulesTable' | 'tasksTable' | 'queueUrl' | 'retentionDays'>;

export interface Stores {
  logger: Logger;
  dynamodb: DynamoDBClient;
  ruleStore: DynamoDbRuleStore;
  subscriptionStore: DynamoDbSubscriptionStore;
  taskStore: DynamoDbTaskStore;
  executionStore: DynamoDbExecutionStore;
  queue: Queue;
  /** Sync links, stored with the rules; their live slots, in the tasks table (issue 13). */
  links: DynamoDbLinkStore;
  linkSlots: DynamoDbLinkSlots;
  /** Read by the console's health summary (sqs:GetQueueAttributes). */
  queueDepth?: QueueDepth;
}

export { localCredentials } from './local-credentials.ts';

export function createStores(config: AwsSettings, logger: Logger): Stores {
  const dynamodb = new DynamoDBClient({ region: config.region, ...localCredentials(config.dynamodbEndpoint) });
  const sqs = new SQSClient({ region: config.region, ...localCredentials(config.sqsEndpoint) });
  return {
    logger,
    dynamodb,
    ruleStore: new DynamoDbRuleStore(dynamodb, config.rulesTable),
    subscriptionStore: new DynamoDbSubscriptionStore(dynamodb, config.rulesTable),
    taskStore: new DynamoDbTaskStore({ client: dynamodb, tableName: config.tasksTable, retentionDays: config.retentionDays }),
    executionStore: new DynamoDbExecutionStore({ client: dynamodb, tableName: config.tasksTable, retentionDays: config.retentionDays }),
    queue: new SqsQueue(sqs, config.queueUrl, logger),
    links: new DynamoDbLinkStore(dynamodb, config.rulesTable),
    linkSlots: new DynamoDbLinkSlots({ client: dynamodb, tableName: config.tasksTable }),
    queueDepth: new SqsQueueDepth(sqs, config.queueUrl),
  };
}
