/**
 * Size and cold-start import time of each Lambda bundle: builds the bundles, then imports each
 * one in `--runs` fresh Node processes (what a cold start pays before the first event: parsing
 * and evaluating the bundle, and the wiring at module scope) and prints one JSON line of medians.
 *
 *   node --import tsx infra/build/measure-bundles.ts [--runs 15] [--baseline DIR] [--functions webhook,sweep]
 *
 * `--baseline DIR` also builds another checkout (e.g. an older commit exported with `git archive`,
 * node_modules linked in) with that checkout's own infra/build/build-functions.ts, and alternates
 * its runs with ours (which of the two goes first alternates too), so that both see the same load
 * on a shared machine. Both run on this Node with the same flags (NODE_OPTIONS as deployed). CPU
 * time is reported beside wall time: on a busy machine it is the steadier of the two.
 *
 * The webhook's cold process then answers its first genuine delivery (first-delivery.ts) against
 * embedded DynamoDB and SQS started here: `firstDeliveryMs` and `firstDeliveryCpuMs` are import
 * plus that answer (a 202 with one new task, checked), so that work moved from the import into the
 * first request shows. The environment names loopback endpoints and dummy credentials only:
 * nothing could leave the machine.
 */
import { execFile, execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs, promisify } from 'node:util';
import { startEmbeddedDynamoDb, startEmbeddedSqs } from '../aws/embedded.ts';
import { z } from 'zod';
import { buildFunctions, LAMBDA_FUNCTIONS, ROOT, type BuiltFunction } from './build-functions.ts';
import { prepareFirstDelivery, type FirstDelivery } from './first-delivery.ts';

// Prints [import wall ms, import CPU ms, then when argv[2] holds an event: wall and CPU ms to its
// answer (import included), the answer's status and body].
const IMPORT = `
const started = performance.now();
const cpu = process.cpuUsage();
const { handler } = await import(process.argv[1]);
const imported = performance.now() - started;
const used = process.cpuUsage(cpu);
const answer = process.argv[2] ? await handler(JSON.parse(process.argv[2]), { getRemainingTimeInMillis: () => 10_000 }) : undefined;
const answered = performance.now() - started;
const total = process.cpuUsage(cpu);
process.stdout.write(JSON.stringify([imported, (used.user + used.system) / 1000, answered, (total.user + total.system) / 1000, answer?.statusCode, answer?.body]));
`;

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

const LambdaFunctionName = z.enum(LAMBDA_FUNCTIONS);

interface Samples { wall: number[]; cpu: number[]; answer: number[]; answerCpu: number[] }
const samples = (): Samples => ({ wall: [], cpu: [], answer: [], answerCpu: [] });

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

// Asynchronous: the embedded DynamoDB and SQS answering the child run in this process.
async function sample(built: BuiltFunction, dir: string, into: Samples, delivery?: { prepared: FirstDelivery; run: number }): Promise<void> {
  const args = ['--input-type=module', '-e', IMPORT, built.file, ...(delivery ? [JSON.stringify(delivery.prepared.event(delivery.run))] : [])];
  const env = { ...ENV, ...delivery?.prepared.env };
  const [wall, cpu, answer, answerCpu, status, body] = JSON.parse((await promisify(execFile)(process.execPath, args, { cwd: dir, env, encoding: 'utf8' })).stdout) as [number, number, number, number, number?, string?];
  // Only a delivery that was accepted and made its task is the first request being measured.
  if (delivery && (status !== 202 || !/"created":true/.test(body ?? ''))) throw new Error(`${built.file}: the first delivery answered ${status}: ${body}`);
  into.wall.push(wall);
  into.cpu.push(cpu);
  into.answer.push(answer);
  into.answerCpu.push(answerCpu);
}

function summary(built: BuiltFunction, samples: Samples) {
  return {
    bytes: statSync(built.file).size,
    importMs: Math.round(median(samples.wall)),
    importCpuMs: Math.round(median(samples.cpu)),
    ...(built.name === 'webhook' ? { firstDeliveryMs: Math.round(median(samples.answer)), firstDeliveryCpuMs: Math.round(median(samples.answerCpu)) } : {}),
  };
}

const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' }, baseline: { type: 'string' }, functions: { type: 'string' } } });
const only = values.functions?.split(',').map((name) => LambdaFunctionName.parse(name));
const runs = Number(values.runs);
const outdir = mkdtempSync(join(tmpdir(), 'crossdock-measure-'));
const [dynamodb, sqs] = await Promise.all([startEmbeddedDynamoDb({}), startEmbeddedSqs({})]);
try {
  const endpoints = { dynamodb: dynamodb.endpoint, sqs: sqs.endpoint };
  const ours = await buildFunctions({ outdir: join(outdir, 'ours'), ...(only ? { functions: only } : {}) });
  let theirs: BuiltFunction[] | undefined;
  if (values.baseline) {
    execFileSync(process.execPath, ['--import', 'tsx', join(values.baseline, 'infra', 'build', 'build-functions.ts'), join(outdir, 'baseline')], { cwd: values.baseline, stdio: 'ignore' });
    theirs = ours.map((b) => {
      const file = join(outdir, 'baseline', b.name, 'index.mjs');
      return { name: b.name, file, bytes: statSync(file).size, sourceMapBytes: statSync(`${file}.map`).size };
    });
  }
  const deliveries = {
    ours: await prepareFirstDelivery(ROOT, endpoints, 'measure-ours'),
    baseline: values.baseline ? await prepareFirstDelivery(values.baseline, endpoints, 'measure-baseline') : undefined,
  };
  const functions: Record<string, unknown> = {};
  for (const [i, built] of ours.entries()) {
    const base = theirs?.[i];
    const mine = samples();
    const other = samples();
    const webhook = built.name === 'webhook';
    for (let run = 0; run < runs; run++) {
      const measureOurs = () => sample(built, join(outdir, 'ours', built.name), mine, webhook ? { prepared: deliveries.ours, run } : undefined);
      const measureBase = async () => base && sample(base, join(outdir, 'baseline', base.name), other, webhook && deliveries.baseline ? { prepared: deliveries.baseline, run } : undefined);
      if (run % 2 === 0) { await measureOurs(); await measureBase(); } else { await measureBase(); await measureOurs(); }
    }
    functions[built.name] = { ...summary(built, mine), ...(base ? { baseline: summary(base, other) } : {}) };
  }
  process.stdout.write(`${JSON.stringify({ runs, node: process.version, functions })}\n`);
} finally {
  rmSync(outdir, { recursive: true, force: true });
  await Promise.all([dynamodb.close(), sqs.close()]);
}
