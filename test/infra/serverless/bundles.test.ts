/**
 * The Lambda bundles run on their own: each is loaded by a fresh Node process from a directory
 * with no node_modules above it (so every dependency must be inside, and bundled CommonJS must
 * find `require` through the banner), given Lambda-shaped events, and talks to the embedded
 * DynamoDB and SQS through the real AWS SDK.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import { z } from 'zod';
import { buildFunctions, ROOT, type LambdaFunction } from '../../../infra/build/build-functions.ts';
import { startLocalAws, TEST_REGION, type LocalAws } from '../../support/aws.ts';
import { freePort } from '../../support/ports.ts';
import { startScriptedSecretsManager } from '../../support/secrets-manager.ts';
import { nodeTarget } from './lambda-runtimes.ts';

const API_KEY = 'bundle-test-key';

// Loads the bundle named by argv[1], calls its handler with the event in argv[2] and a context
// whose remaining time is argv[3] ms, and prints the result as JSON.
const INVOKE = `
const { handler } = await import(process.argv[1]);
const remainingMs = Number(process.argv[3]);
const started = Date.now();
const result = await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => remainingMs - (Date.now() - started) });
process.stdout.write(JSON.stringify(result ?? null));
`;

const HttpResult = z.looseObject({ statusCode: z.number(), body: z.string() });

function httpEvent(method: string, path: string, body?: unknown, headers: Record<string, string> = {}) {
  return {
    version: '2.0',
    routeKey: '$default',
    rawPath: path,
    rawQueryString: '',
    headers: { host: 'api.example', 'content-type': 'application/json', ...headers },
    requestContext: {
      accountId: '123456789012', apiId: 'api', domainName: 'api.example', domainPrefix: 'api', requestId: 'request-1',
      routeKey: '$default', stage: '$default', time: '01/Jan/2026:00:00:00 +0000', timeEpoch: 1_767_225_600_000,
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'bundles.test' },
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    isBase64Encoded: false,
  };
}

describe('Lambda bundles', () => {
  let aws: LocalAws;
  let outdir: string;
  let env: Record<string, string>;
  /** Declared (issue 8: only declared registries are contacted), but nothing listens on it. */
  let registry: string;

  const run = (name: LambdaFunction, event: unknown, options: { remainingMs?: number; env?: Record<string, string>; nodeArgs?: string[] } = {}) => {
    const bundle = join(outdir, name, 'index.mjs');
    return promisify(execFile)(process.execPath, [...(options.nodeArgs ?? []), '--input-type=module', '-e', INVOKE, bundle, JSON.stringify(event), String(options.remainingMs ?? 30_000)], {
      cwd: join(outdir, name),
      env: { ...env, ...options.env },
      timeout: 30_000,
    });
  };
  const invoke = async (name: LambdaFunction, event: unknown, remainingMs = 30_000): Promise<unknown> => JSON.parse((await run(name, event, { remainingMs })).stdout);

  /** The npm packages whose code a bundle holds, from its source map. */
  const packagesIn = async (name: LambdaFunction): Promise<Set<string>> => {
    const map = z.looseObject({ sources: z.array(z.string()) }).parse(JSON.parse(await readFile(join(outdir, name, 'index.mjs.map'), 'utf8')));
    return new Set(map.sources.flatMap((source) => {
      const match = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source);
      return match ? [match[1]!] : [];
    }));
  };

  before(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'crossdock-bundles-'));
    const [local] = await Promise.all([startLocalAws(), buildFunctions({ outdir })]);
    aws = local;
    registry = `127.0.0.1:${await freePort()}`;
    env = {
      PATH: process.env.PATH ?? '',
      AWS_REGION: TEST_REGION,
      NODE_OPTIONS: '--enable-source-maps',
      CROSSDOCK_RULES_TABLE: aws.tables.rules,
      CROSSDOCK_TASKS_TABLE: aws.tables.tasks,
      CROSSDOCK_QUEUE_URL: aws.queueUrl,
      CROSSDOCK_DYNAMODB_ENDPOINT: aws.dynamodbEndpoint,
      CROSSDOCK_SQS_ENDPOINT: aws.sqsEndpoint,
      CROSSDOCK_API_KEYS: API_KEY,
      CROSSDOCK_REGISTRIES: JSON.stringify({ [registry]: {} }),
      CROSSDOCK_LOG_LEVEL: 'error',
    };
  });

  after(async () => {
    await aws?.close();
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it('webhook: refuses a delivery from a source that is not configured', async () => {
    const result = HttpResult.parse(await invoke('webhook', httpEvent('POST', '/webhooks/distribution', { events: [] })));
    assert.equal(result.statusCode, 404);
    assert.equal(z.looseObject({ error: z.looseObject({ code: z.string() }) }).parse(JSON.parse(result.body)).error.code, 'WEBHOOK_SOURCE_UNKNOWN');
  });

  it('api: serves the console over TLS with a Secure session cookie, and its health page reads the queue', async () => {
    const signIn = { ...httpEvent('POST', '/ui/sign-in', undefined, { 'content-type': 'application/x-www-form-urlencoded', origin: 'https://api.example' }), body: new URLSearchParams({ apiKey: API_KEY, next: '/ui/health' }).toString() };
    const signedIn = z.looseObject({ statusCode: z.number(), cookies: z.array(z.string()) }).parse(await invoke('api', signIn));
    assert.equal(signedIn.statusCode, 303);
    const cookie = signedIn.cookies.find((c) => c.startsWith('crossdock_session='))!;
    for (const flag of ['HttpOnly', 'Secure', 'SameSite=Strict', 'Path=/ui']) assert.ok(cookie.includes(flag), `${flag} in ${cookie}`);
    const health = HttpResult.parse(await invoke('api', { ...httpEvent('GET', '/ui/health'), cookies: [cookie.split(';')[0]] }));
    assert.equal(health.statusCode, 200, health.body);
    assert.match(health.body, /Queue: waiting<b>\d+<\/b>\d+ in flight/);
  });

  it('api → worker: a manual sync is recorded and queued, and the worker hands a failed copy back to the queue', async () => {
    // Nothing listens on the registry's port: the copy fails with a retryable connection error.
    const created = HttpResult.parse(await invoke('api', httpEvent('POST', '/sync', {
      source: `${registry}/app:1.0`,
      destinations: [`${registry}/mirror/app`],
    }, { 'x-api-key': API_KEY })));
    assert.equal(created.statusCode, 202, created.body);
    const tasks = z.strictObject({ execution: z.string().regex(/^m-/), tasks: z.array(z.strictObject({ id: z.string(), created: z.boolean() })) }).parse(JSON.parse(created.body)).tasks;
    assert.equal(tasks.length, 1);
    assert.equal(tasks[0]!.created, true);
    const taskId = tasks[0]!.id;

    const received = await aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: aws.queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    assert.equal(received.Messages?.length, 1);
    const message = received.Messages![0]!;
    assert.deepEqual(JSON.parse(message.Body ?? ''), { taskId });

    const sqsEvent = {
      Records: [{
        messageId: message.MessageId,
        receiptHandle: message.ReceiptHandle,
        body: message.Body,
        // What Lambda's poller reports on a first delivery.
        attributes: { ApproximateReceiveCount: '1', SentTimestamp: String(Date.now()), SenderId: 'AIDA', ApproximateFirstReceiveTimestamp: String(Date.now()) },
        messageAttributes: {},
        md5OfBody: message.MD5OfBody,
        eventSource: 'aws:sqs',
        eventSourceARN: 'arn:aws:sqs:us-east-1:123456789012:tasks',
        awsRegion: TEST_REGION,
      }],
    };
    // 6 s of Lambda time leave the copy 1 s before the worker keeps the rest to record the outcome.
    assert.deepEqual(await invoke('worker', sqsEvent, 6_000), { batchItemFailures: [{ itemIdentifier: message.MessageId }] });

    const item = await aws.clients.dynamodb.send(new GetItemCommand({ TableName: aws.tables.tasks, Key: { pk: { S: `TASK#${taskId}` } }, ConsistentRead: true }));
    assert.equal(item.Item?.status?.S, 'PENDING');
    // State lives in top-level attributes (shared/tasks/dynamodb-task-item.ts), the error as JSON.
    const doc = { attempts: Number(item.Item?.attempts?.N), error: z.strictObject({ code: z.string(), message: z.string() }).parse(JSON.parse(item.Item?.error?.S ?? 'null')) };
    assert.equal(doc.attempts, 1);
    // Connections are refused until the copy's deadline; which of the two ends it depends on timing.
    assert.ok(['DEADLINE_EXCEEDED', 'REGISTRY_UNREACHABLE'].includes(doc.error.code), doc.error.code);
    // The message names what failed: the image (a deadline) or the registry refusing connections.
    assert.ok(doc.error.message.includes(`${registry}/app:1.0`) || doc.error.message.includes(`registry ${registry}`), doc.error.message);
  });

  it('webhook and sweep bundles hold no registry client (undici); the worker bundle does', async () => {
    for (const name of ['webhook', 'sweep'] as const) assert.equal((await packagesIn(name)).has('undici'), false, `${name} bundles undici`);
    // The same check finds undici where the registry pool is built.
    assert.equal((await packagesIn('worker')).has('undici'), true);
  });

  it('prints no AWS SDK Node-version warning on the Node.js of the deployed runtime', async () => {
    const runtime = /^\s+runtime:\s*(nodejs\d+\.x)\s*$/m.exec(await readFile(join(ROOT, 'serverless.yml'), 'utf8'))?.[1];
    assert.ok(runtime, 'serverless.yml names a runtime');
    // The bundled SDK decides from process.version; give it the runtime's major.
    const asNode = (major: string) => ['--import', `data:text/javascript,Object.defineProperty(process, 'version', { value: 'v${major}.0.0' })`];
    const deployed = await run('sweep', {}, { nodeArgs: asNode(nodeTarget(runtime).slice('node'.length)) });
    assert.deepEqual(JSON.parse(deployed.stdout), { resent: 0, failed: 0 });
    assert.doesNotMatch(deployed.stderr, /NodeVersionSupportWarning/);
    // The check sees the warning where the SDK prints it: on the Node.js 20 of the old runtime.
    const old = await run('sweep', {}, { nodeArgs: asNode('20') });
    assert.match(old.stderr, /NodeVersionSupportWarning/);
  });

  it('webhook: reads its sources from Secrets Manager at cold start and accepts a genuine delivery', async () => {
    const secrets = await startScriptedSecretsManager({
      'crossdock/test/webhook-sources': JSON.stringify({ distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: 'Bearer bundle-token' } } }),
    });
    try {
      const event = httpEvent('POST', '/webhooks/distribution', { events: [] }, { authorization: 'Bearer bundle-token' });
      const { stdout } = await run('webhook', event, { env: { CROSSDOCK_SECRETSMANAGER_ENDPOINT: secrets.endpoint, CROSSDOCK_WEBHOOK_SOURCES_SECRET: 'crossdock/test/webhook-sources' } });
      const result = HttpResult.parse(JSON.parse(stdout));
      assert.equal(result.statusCode, 202, result.body);
      assert.deepEqual(secrets.requests.map((r) => r.secretId), ['crossdock/test/webhook-sources']);
    } finally {
      await secrets.close();
    }
  });

  it('sweep: finds no stale task when every task was queued', async () => {
    assert.deepEqual(await invoke('sweep', {}), { resent: 0, failed: 0 });
  });

  it('subscriptions: runs nothing when no subscription is stored', async () => {
    assert.deepEqual(await invoke('subscriptions', {}), { ran: 0, failed: 0 });
  });
});
