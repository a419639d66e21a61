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
import { buildFunctions, ROOT, type BuiltFunction } from '../../../infra/build/build-functions.ts';
import { decodeStack } from '../../../infra/build/decode-stack.ts';
import { credentialsFromEnvironment } from '../../../infra/build/lambda-credentials.ts';

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
    assert.match(decoded, /at readServiceEnvironment \(shared\/config\.ts:\d+:\d+\)\n\s+at loadLambdaConfig \(functions\/config\/lambda-config\.ts:\d+:\d+\)\n\s+at (?:\S+ )?\(functions\/webhook\/handler\.ts:\d+:\d+\)/, frames(decoded));
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
