/**
 * The webhook bundle ships its source map without linking it (Node would parse it at every cold
 * start), and a stack trace it prints still decodes to TypeScript positions offline with
 * infra/build/decode-stack.ts.
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

/** The trace's frames alone: Node also prints the bundle's (long, minified) line that threw. */
const frames = (trace: string) => trace.split('\n').filter((line) => /^\s+at /.test(line)).join('\n');

describe('webhook bundle source map', () => {
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
});
