/**
 * The API's Lambda entry as deployed: configured from the environment (CROSSDOCK_NOTIFICATIONS
 * here; on AWS the same text comes from Secrets Manager), called with API Gateway HTTP API
 * events, its stores on the embedded DynamoDB and SQS through the real AWS SDK.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startLocalAws, TEST_REGION, type LocalAws } from '../support/aws.ts';
import { freePort } from '../support/ports.ts';

const API_KEY = 'api-handler-test-key';
const SECRET = 'notification-secret-0123456789';

function httpEvent(method: string, path: string, body?: unknown) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.example', 'content-type': 'application/json', 'x-api-key': API_KEY },
    requestContext: {
      accountId: '123456789012', apiId: 'api', domainName: 'api.example', domainPrefix: 'api', requestId: 'request-1',
      routeKey: '$default', stage: '$default', time: '01/Jan/2026:00:00:00 +0000', timeEpoch: 1_767_225_600_000,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'api-handler.test' },
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

describe('API Lambda entry: rules may name only declared notification targets', () => {
  let aws: LocalAws;
  let handler: (event: unknown) => Promise<{ statusCode: number; body: string }>;
  let registry: string;

  before(async () => {
    aws = await startLocalAws();
    registry = `127.0.0.1:${await freePort()}`;
    Object.assign(process.env, {
      AWS_REGION: TEST_REGION,
      CROSSDOCK_RULES_TABLE: aws.tables.rules,
      CROSSDOCK_TASKS_TABLE: aws.tables.tasks,
      CROSSDOCK_QUEUE_URL: aws.queueUrl,
      CROSSDOCK_DYNAMODB_ENDPOINT: aws.dynamodbEndpoint,
      CROSSDOCK_SQS_ENDPOINT: aws.sqsEndpoint,
      CROSSDOCK_API_KEYS: API_KEY,
      CROSSDOCK_REGISTRIES: JSON.stringify({ [registry]: {} }),
      CROSSDOCK_NOTIFICATIONS: JSON.stringify({ targets: { ops: { kind: 'webhook', url: 'https://hooks.example.test/ops', secret: SECRET }, runs: { kind: 'webhook', url: 'https://hooks.example.test/runs', secret: SECRET } } }),
      CROSSDOCK_LOG_LEVEL: 'error',
    });
    handler = (await import('../../functions/api/handler.ts')).handler as unknown as typeof handler;
  });

  after(async () => {
    await aws?.close();
  });

  const rule = (targets: string[][]) => ({
    name: 'notified', source: { registry, namespace: 'team' }, destinations: [{ registry, namespace: 'mirror' }],
    notifications: targets.map((t) => ({ on: 'failure', targets: t })),
  });

  test('an unknown target is refused with 400 naming it and the declared ones; declared ones are accepted', async () => {
    const refused = await handler(httpEvent('POST', '/rules', rule([['ops', 'nope'], ['gone']])));
    assert.equal(refused.statusCode, 400);
    const body = JSON.parse(refused.body) as { error: { code: string; problems?: string[] } };
    const problems = JSON.stringify(body);
    assert.match(problems, /RULE_INVALID/);
    assert.match(problems, /notifications\.0\.targets: no notification target \\"nope\\" is declared \(declared: ops, runs;/);
    assert.match(problems, /notifications\.1\.targets: no notification target \\"gone\\" is declared \(declared: ops, runs;/);
    assert.doesNotMatch(problems, new RegExp(SECRET));

    const listed = await handler(httpEvent('GET', '/rules'));
    assert.deepEqual(JSON.parse(listed.body).items, [], 'nothing stored from the refused request');

    const created = await handler(httpEvent('POST', '/rules', rule([['ops'], ['runs']])));
    assert.equal(created.statusCode, 201, created.body);
    const id = JSON.parse(created.body).id as string;
    const replaced = await handler(httpEvent('PUT', `/rules/${id}`, rule([['nope']])));
    assert.equal(replaced.statusCode, 400);
    assert.match(replaced.body, /no notification target \\"nope\\" is declared/);
  });
});
