/**
 * Size and cold-start import time of each Lambda bundle: builds the bundles, then imports each
 * one in `--runs` fresh Node processes (what a cold start pays before the first event: module
 * evaluation and the wiring at module scope) and prints one JSON line with the medians.
 *
 *   node --import tsx infra/build/measure-bundles.ts [--runs 15] [--root DIR]
 *
 * `--root` measures another checkout's functions/ (e.g. an older commit exported with
 * `git archive`), built with this checkout's esbuild. The environment names loopback endpoints
 * and dummy credentials: importing makes no request, and none could leave the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFunctions } from './build-functions.ts';

// Prints the import time; with an event in argv[2], also the time to its answer (the lazy part
// of a cold start: secrets read, app built).
// CPU time is reported beside wall time: on a machine shared by many processes it is the steadier
// of the two.
const IMPORT = `
const started = performance.now();
const cpu = process.cpuUsage();
const { handler } = await import(process.argv[1]);
const imported = performance.now() - started;
const used = process.cpuUsage(cpu);
if (process.argv[2]) await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => 10_000 });
process.stdout.write(JSON.stringify([imported, (used.user + used.system) / 1000, performance.now() - started]));
`;

// A delivery for a source nobody configured: answered 404 by the webhook app, no AWS call.
const FIRST_EVENT: Partial<Record<string, unknown>> = {
  webhook: {
    version: '2.0', routeKey: '$default', rawPath: '/webhooks/distribution', rawQueryString: '', headers: { host: 'h', 'content-type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/webhooks/distribution', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'measure' }, stage: '$default', requestId: 'r', routeKey: '$default', accountId: '1', apiId: 'a', domainName: 'h', domainPrefix: 'h', time: '', timeEpoch: 0 },
    body: '{"events":[]}', isBase64Encoded: false,
  },
};

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, root: { type: 'string' } } });
const runs = Number(values.runs);
const outdir = mkdtempSync(join(tmpdir(), 'crossdock-measure-'));
try {
  const built = await buildFunctions({ outdir, ...(values.root ? { root: values.root } : {}) });
  const env = {
    PATH: process.env.PATH ?? '',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'local',
    AWS_SECRET_ACCESS_KEY: 'local',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
    // As deployed (serverless.yml): Node reads each bundle's source map when it loads it.
    NODE_OPTIONS: '--enable-source-maps',
    CROSSDOCK_RULES_TABLE: 'rules',
    CROSSDOCK_TASKS_TABLE: 'tasks',
    CROSSDOCK_QUEUE_URL: 'http://127.0.0.1:9/queue/tasks',
    CROSSDOCK_DYNAMODB_ENDPOINT: 'http://127.0.0.1:9',
    CROSSDOCK_SQS_ENDPOINT: 'http://127.0.0.1:9',
    CROSSDOCK_API_KEYS: 'measure',
    CROSSDOCK_LOG_LEVEL: 'error',
  };
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  const result: Record<string, { bytes: number; importMs: number; importCpuMs: number; firstAnswerMs?: number }> = {};
  for (const { name, file } of built) {
    const imports: number[] = [];
    const cpus: number[] = [];
    const answers: number[] = [];
    const event = FIRST_EVENT[name];
    for (let i = 0; i < runs; i++) {
      const args = ['--input-type=module', '-e', IMPORT, file, ...(event ? [JSON.stringify(event)] : [])];
      const [imported, cpu, answered] = JSON.parse(execFileSync(process.execPath, args, { cwd: join(outdir, name), env, encoding: 'utf8' })) as [number, number, number];
      imports.push(imported);
      cpus.push(cpu);
      answers.push(answered);
    }
    result[name] = { bytes: statSync(file).size, importMs: Math.round(median(imports)), importCpuMs: Math.round(median(cpus)), ...(event ? { firstAnswerMs: Math.round(median(answers)) } : {}) };
  }
  process.stdout.write(`${JSON.stringify({ runs, node: process.version, functions: result })}\n`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
