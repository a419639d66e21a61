/**
 * Size and cold-start import time of each Lambda bundle: builds the bundles, then imports each
 * one in `--runs` fresh Node processes (what a cold start pays before the first event: parsing
 * and evaluating the bundle, and the wiring at module scope) and prints one JSON line of medians.
 *
 *   node --import tsx infra/build/measure-bundles.ts [--runs 15] [--baseline DIR]
 *
 * `--baseline DIR` also builds another checkout (e.g. an older commit exported with `git archive`,
 * node_modules linked in) with that checkout's own infra/build/build-functions.ts, and alternates
 * its runs with ours, so that both see the same load on a shared machine. CPU time is reported beside wall time: on a busy
 * machine it is the steadier of the two. The environment names loopback endpoints and dummy
 * credentials: nothing is requested, and nothing could leave the machine.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { buildFunctions, type BuiltFunction } from './build-functions.ts';

// Prints [import wall ms, import CPU ms, wall ms to the first answer when argv[2] holds an event].
const IMPORT = `
const started = performance.now();
const cpu = process.cpuUsage();
const { handler } = await import(process.argv[1]);
const imported = performance.now() - started;
const used = process.cpuUsage(cpu);
if (process.argv[2]) await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => 10_000 });
process.stdout.write(JSON.stringify([imported, (used.user + used.system) / 1000, performance.now() - started]));
`;

// A delivery for a source nobody configured: the webhook app answers 404 with no AWS call.
const FIRST_EVENT: Partial<Record<string, unknown>> = {
  webhook: {
    version: '2.0', routeKey: '$default', rawPath: '/webhooks/distribution', rawQueryString: '', headers: { host: 'h', 'content-type': 'application/json' },
    requestContext: { http: { method: 'POST', path: '/webhooks/distribution', protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'measure' }, stage: '$default', requestId: 'r', routeKey: '$default', accountId: '1', apiId: 'a', domainName: 'h', domainPrefix: 'h', time: '', timeEpoch: 0 },
    body: '{"events":[]}', isBase64Encoded: false,
  },
};

const ENV = {
  PATH: process.env.PATH ?? '',
  AWS_REGION: 'us-east-1',
  AWS_ACCESS_KEY_ID: 'local',
  AWS_SECRET_ACCESS_KEY: 'local',
  AWS_EC2_METADATA_DISABLED: 'true',
  // This machine's Node may be older than the runtime's; the SDK would warn on every run.
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

interface Samples { wall: number[]; cpu: number[]; answer: number[] }

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function sample(built: BuiltFunction, dir: string, into: Samples): void {
  const event = FIRST_EVENT[built.name];
  const args = ['--input-type=module', '-e', IMPORT, built.file, ...(event ? [JSON.stringify(event)] : [])];
  const [wall, cpu, answer] = JSON.parse(execFileSync(process.execPath, args, { cwd: dir, env: ENV, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] })) as [number, number, number];
  into.wall.push(wall);
  into.cpu.push(cpu);
  into.answer.push(answer);
}

function summary(built: BuiltFunction, samples: Samples) {
  return {
    bytes: statSync(built.file).size,
    importMs: Math.round(median(samples.wall)),
    importCpuMs: Math.round(median(samples.cpu)),
    ...(FIRST_EVENT[built.name] ? { firstAnswerMs: Math.round(median(samples.answer)) } : {}),
  };
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, baseline: { type: 'string' } } });
const runs = Number(values.runs);
const outdir = mkdtempSync(join(tmpdir(), 'crossdock-measure-'));
try {
  const ours = await buildFunctions({ outdir: join(outdir, 'ours') });
  let theirs: BuiltFunction[] | undefined;
  if (values.baseline) {
    execFileSync(process.execPath, ['--import', 'tsx', join(values.baseline, 'infra', 'build', 'build-functions.ts'), join(outdir, 'baseline')], { cwd: values.baseline, stdio: 'ignore' });
    theirs = ours.map((b) => {
      const file = join(outdir, 'baseline', b.name, 'index.mjs');
      return { name: b.name, file, bytes: statSync(file).size, sourceMapBytes: statSync(`${file}.map`).size };
    });
  }
  const functions: Record<string, unknown> = {};
  for (const [i, built] of ours.entries()) {
    const base = theirs?.[i];
    const mine: Samples = { wall: [], cpu: [], answer: [] };
    const other: Samples = { wall: [], cpu: [], answer: [] };
    for (let run = 0; run < runs; run++) {
      sample(built, join(outdir, 'ours', built.name), mine);
      if (base) sample(base, join(outdir, 'baseline', base.name), other);
    }
    functions[built.name] = { ...summary(built, mine), ...(base ? { baseline: summary(base, other) } : {}) };
  }
  process.stdout.write(`${JSON.stringify({ runs, node: process.version, functions })}\n`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
}
