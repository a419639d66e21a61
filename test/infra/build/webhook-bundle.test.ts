/**
 * What the webhook bundle leaves out of its cold start: it ships its source map without linking it
 * (Node would parse it at every cold start), and a stack trace it prints still decodes to
 * TypeScript positions offline with infra/build/decode-stack.ts; it takes AWS credentials from the
 * environment, as Lambda gives them, without the rest of the SDK's default chain.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { startEmbeddedDynamoDb, startEmbeddedSqs } from '../../../infra/aws/embedded.ts';
import { buildFunctions, ROOT, ZOD_NAMESPACE_IMPORT, type BuiltFunction } from '../../../infra/build/build-functions.ts';
import { decodeStack } from '../../../infra/build/decode-stack.ts';
import { prepareFirstDelivery } from '../../../infra/build/first-delivery.ts';
import { credentialsFromEnvironment } from '../../../infra/build/lambda-credentials.ts';

const sourcesOf = async (file: string) => (JSON.parse(await readFile(`${file}.map`, 'utf8')) as { sources: string[] }).sources;
const ourSources = (sources: string[]) => sources.flatMap((source) => /(?:^|\/)((?:shared|functions)\/.+\.ts)$/.exec(source)?.[1] ?? []);

/** The trace's frames alone: Node also prints the bundle's (long, minified) line that threw. */
const frames = (trace: string) => trace.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');

describe('webhook bundle', () => {
  let outdir: string;
  let webhook: BuiltFunction;

  before(async () => {
    outdir = await mkdtemp(join(tmpdir(), 'crossdock-source-map-'));
    webhook = (await buildFunctions({ outdir, functions: ['webhook'] }))[0]!;
  });

  after(async () => {
    if (outdir) await rm(outdir, { recursive: true, force: true });
  });

  it('is shipped beside the bundle but not linked from it', async () => {
    assert.ok(webhook.sourceMapBytes > 0);
    assert.doesNotMatch(await readFile(webhook.file, 'utf8'), /sourceMappingURL/);
  });

  it('decodes a stack trace the minified bundle printed into the TypeScript files that threw', async () => {
    // An invalid queue URL fails the configuration parsed at module scope: the bundle dies at import
    // with a stack trace through the handler's wiring. Nothing is contacted.
    const failed = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', 'await import(process.argv[1])', webhook.file], {
      cwd: outdir,
      env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: '--enable-source-maps', AWS_REGION: 'us-east-1', CROSSDOCK_RULES_TABLE: 'rules', CROSSDOCK_TASKS_TABLE: 'tasks', CROSSDOCK_QUEUE_URL: 'not a url' },
    }).then(() => assert.fail('the bundle loaded with an invalid queue URL'), (error: { stderr: string }) => error.stderr);
    // Even with --enable-source-maps, Node has no map to apply: the frames point into index.mjs.
    assert.match(failed, /ENVIRONMENT_INVALID|CROSSDOCK_QUEUE_URL/);
    assert.match(frames(failed), /index\.mjs:\d+:\d+/, frames(failed));
    assert.doesNotMatch(frames(failed), /\.ts:\d+:\d+/, frames(failed));

    const decoded = decodeStack(failed, `${webhook.file}.map`, ROOT);
    // Frames in TypeScript terms, innermost first, each under its own function's name.
    assert.match(decoded, /at readServiceEnvironment \(shared\/service-environment\.ts:\d+:\d+\)\n\s+at loadLambdaConfigOf \(functions\/config\/lambda-config-of\.ts:\d+:\d+\)\n\s+at (?:\S+ )?\(functions\/webhook\/handler\.ts:\d+:\d+\)/, frames(decoded));
    assert.doesNotMatch(decoded, /index\.mjs:\d+:\d+/, frames(decoded));
  });

  it('leaves lines that are not bundle frames as they were', () => {
    assert.equal(decodeStack('Error: boom\n    at node:internal/x:1:2', `${webhook.file}.map`), 'Error: boom\n    at node:internal/x:1:2');
  });

  it('bundles the environment link of the SDK credential chain only', async () => {
    const map = JSON.parse(await readFile(`${webhook.file}.map`, 'utf8')) as { sources: string[] };
    const packages = new Set(map.sources.flatMap((source) => /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(source)?.[1] ?? []));
    // The same sources show the check would see them: the SDK's clients are there.
    assert.ok(packages.has('@aws-sdk/client-dynamodb'), [...packages].join(' '));
    const chain = [...packages].filter((name) => name.startsWith('@aws-sdk/credential-provider') || name === '@aws-sdk/nested-clients' || name === '@smithy/credential-provider-imds');
    assert.deepEqual(chain, []);
    assert.ok(map.sources.some((source) => source.endsWith('infra/build/lambda-credentials.ts')));
  });

  it('carries the parts of zod its schemas use, not all of zod classic', async () => {
    const sources = await sourcesOf(webhook.file);
    const zod = sources.flatMap((source) => /node_modules\/zod\/(.+)$/.exec(source)?.[1] ?? []);
    assert.ok(zod.includes('v4/core/schemas.js'), zod.join(' '));
    // JSON Schema from and to, the ahead-of-time compiler: reached only through the namespace.
    assert.deepEqual(zod.filter((file) => /from-json-schema|core\/compile|classic\/iso/.test(file)), []);
    // The rewrite matches the line our sources write (a changed form would silently stop it).
    assert.match(await readFile(join(ROOT, 'shared', 'rules', 'rule.ts'), 'utf8'), ZOD_NAMESPACE_IMPORT);
  });

  it('builds the schema of the one secret it reads, not the registries\' or notifications\'', async () => {
    const ours = ourSources(await sourcesOf(webhook.file));
    assert.ok(ours.includes('shared/service-environment.ts') && ours.includes('shared/webhooks/webhook-source.ts'), ours.join(' '));
    assert.deepEqual(ours.filter((file) => file === 'shared/config.ts' || file.startsWith('shared/notifications/') || file.startsWith('shared/cloud/')), []);
    // A rule's platforms are checked without the manifest schemas (shared/oci/platform-spec.ts).
    assert.ok(!ours.includes('shared/oci/manifest-schema.ts'), ours.join(' '));
  });

  it('answers a genuine delivery from its cold start: the rule matched, one task recorded and sent', async () => {
    const [dynamodb, sqs] = await Promise.all([startEmbeddedDynamoDb({}), startEmbeddedSqs({})]);
    try {
      const delivery = await prepareFirstDelivery(ROOT, { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint }, 'bundle-test');
      const answer = `const { handler } = await import(process.argv[1]); const a = await handler(JSON.parse(process.argv[2])); process.stdout.write(JSON.stringify(a));`;
      // Loopback endpoints and dummy credentials only: nothing could leave the machine.
      const env = { PATH: process.env.PATH ?? '', AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'local', AWS_SECRET_ACCESS_KEY: 'local', AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true', CROSSDOCK_LOG_LEVEL: 'error', ...delivery.env };
      const { stdout } = await promisify(execFile)(process.execPath, ['--input-type=module', '-e', answer, webhook.file, JSON.stringify(delivery.event(1))], { cwd: outdir, env });
      const result = JSON.parse(stdout) as { statusCode: number; body: string };
      assert.equal(result.statusCode, 202, result.body);
      const body = JSON.parse(result.body) as { events: { repository: string; tag: string; rules: string[] }[]; tasks: { created: boolean }[] };
      assert.deepEqual(body.events.map((e) => [e.repository, e.tag, e.rules]), [['app/web', 'v1.0.1', ['measure-rule']]]);
      assert.deepEqual(body.tasks.map((t) => t.created), [true]);
    } finally {
      await Promise.all([dynamodb.close(), sqs.close()]);
    }
  });

  it('builds only the stores a push intake writes through', async () => {
    const map = JSON.parse(await readFile(`${webhook.file}.map`, 'utf8')) as { sources: string[] };
    const ours = map.sources.flatMap((source) => /(?:^|\/)((?:shared|functions)\/.+\.ts)$/.exec(source)?.[1] ?? []);
    assert.ok(ours.includes('shared/tasks/dynamodb-task-store.ts') && ours.includes('shared/rules/dynamodb-rule-store.ts'), ours.join(' '));
    const unused = ours.filter((file) => file.startsWith('shared/subscriptions/') || /^shared\/(links|executions)\/dynamodb-/.test(file) || file === 'shared/queue/queue-depth.ts');
    assert.deepEqual(unused, []);
  });
});

describe('environment credentials (Lambda)', () => {
  it('reads the execution role\'s credentials as Lambda sets them', () => {
    assert.deepEqual(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'ASIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_SESSION_TOKEN: 'token' }), { accessKeyId: 'ASIAEXAMPLE', secretAccessKey: 'secret', sessionToken: 'token' });
    assert.deepEqual(credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE', AWS_SECRET_ACCESS_KEY: 'secret', AWS_CREDENTIAL_EXPIRATION: '2026-12-01T22:00:00Z' }), { accessKeyId: 'AKIAEXAMPLE', secretAccessKey: 'secret', expiration: new Date('2026-12-01T22:00:00Z') });
  });

  it('refuses clearly when the pair is missing, naming the variables and no value', () => {
    assert.throws(() => credentialsFromEnvironment({ AWS_ACCESS_KEY_ID: 'AKIAEXAMPLE' }), (error: Error) => error.name === 'CredentialsProviderError' && /AWS_SECRET_ACCESS_KEY/.test(error.message) && !error.message.includes('AKIAEXAMPLE'));
    assert.throws(() => credentialsFromEnvironment({}), /AWS_ACCESS_KEY_ID/);
  });
});
