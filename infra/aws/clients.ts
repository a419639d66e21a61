/**
 * The AWS SDK v3 clients, built once from config. Against real AWS no endpoint is set and the
 * SDK's default credential chain applies (the Lambda role); against the local servers the
 * endpoint points at them and static dummy credentials keep the SDK from searching for any.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { SQSClient } from '@aws-sdk/client-sqs';

export interface AwsCredentials {
  accessKeyId: string;
  secretAccessKey: string;
}

export interface AwsClientsConfig {
  region: string;
  dynamodbEndpoint?: string;
  sqsEndpoint?: string;
  /** Overrides both the default chain and the local dummy credentials. */
  credentials?: AwsCredentials;
}

export interface AwsClients {
  dynamodb: DynamoDBClient;
  sqs: SQSClient;
}

// Letters only: DynamoDB Local 2.x rejects access keys with other characters.
export const LOCAL_CREDENTIALS: AwsCredentials = { accessKeyId: 'local', secretAccessKey: 'local' };

export function createAwsClients(config: AwsClientsConfig): AwsClients {
  return {
    dynamodb: new DynamoDBClient(clientConfig(config.region, config.dynamodbEndpoint, config.credentials)),
    sqs: new SQSClient(clientConfig(config.region, config.sqsEndpoint, config.credentials)),
  };
}

function clientConfig(
  region: string,
  endpoint: string | undefined,
  credentials: AwsCredentials | undefined,
): { region: string; endpoint?: string; credentials?: AwsCredentials } {
  const chosen = credentials ?? (endpoint === undefined ? undefined : LOCAL_CREDENTIALS);
  return {
    region,
    ...(endpoint === undefined ? {} : { endpoint }),
    ...(chosen === undefined ? {} : { credentials: chosen }),
  };
}
