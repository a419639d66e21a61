/** Embedded DynamoDB and SQS in a process of their own, for benchmarks: prints both endpoints as JSON. */
import { startEmbeddedDynamoDb, startEmbeddedSqs } from '../../infra/aws/embedded.ts';

const [dynamodb, sqs] = await Promise.all([startEmbeddedDynamoDb({}), startEmbeddedSqs({})]);
process.stdout.write(JSON.stringify({ dynamodb: dynamodb.endpoint, sqs: sqs.endpoint }) + '\n');
process.on('SIGTERM', () => process.exit(0));
