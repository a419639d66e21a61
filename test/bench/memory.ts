/**
 * Memory of the one-machine runtime under sustained work: `npm start` between two fresh loopback
 * registries, a rule from the source's `bench` namespace to the destination, and distribution push
 * webhooks for TASKS distinct tags (one small image tagged many times, over a few repositories).
 * Webhooks go out in blocks of 1,000 tasks: once the destination holds a block's tags, nothing more
 * is sent for --settle seconds and then the runtime's RSS (from /proc) is read, so that every
 * reading is taken at the same phase (the same work done, the process just gone idle) rather than
 * anywhere on the collector's cycle; beside it the V8 heap's committed and used size and its
 * spaces' as the runtime last reported them (test/bench/memory-probe.mjs, loaded with
 * NODE_OPTIONS), and RSS less the committed heap (native memory). The lowest and highest readings
 * taken about four times a second while each block ran are reported too. Prints one JSON line:
 *   {"tasks":8000,"rss_mb":{"after_1000":…,"after_8000":…},"ratio":…,"within_20_percent":…,"series_mb":[…],
 *    "window_low_mb":[…],"window_high_mb":[…],"high_ratio":…,"heap_total_series_mb":[…],
 *    "heap_used_series_mb":[…],"outside_heap_series_mb":[…],"heap_spaces_mb":[…],"seconds":…}
 *
 *   npm run bench:memory [-- --tasks 8000 --repositories 10 --settle 15 "--node-flags=--max-semi-space-size=1 --optimize-for-size"]
 *
 * Without --node-flags the runtime is `npm start` as the package defines it; with it, the same
 * entry (infra/bin/crossdock.mjs serve) under `node <flags>`, to compare V8 settings.
 *
 * Everything runs on 127.0.0.1: the runtime's DynamoDB and SQS are its embedded ones.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { closeRegistryClients, pushImage, pushManifest } from '../support/images.ts';
import { freePort } from '../support/ports.ts';
import { sendExpecting } from '../support/registry-client.ts';
import { startRegistry, type TestRegistry, waitForExit } from '../support/registry.ts';

const { values } = parseArgs({ options: {
  tasks: { type: 'string', default: '8000' },
  repositories: { type: 'string', default: '10' },
  settle: { type: 'string', default: '15' },
  'node-flags': { type: 'string' },
} });
const TASKS = Number(values.tasks);
const REPOSITORIES = Number(values.repositories);
const SETTLE_MS = Number(values.settle) * 1000;
const NODE_FLAGS = values['node-flags']?.split(/\s+/).filter(Boolean);
if (!Number.isInteger(TASKS) || TASKS < 1000 || !Number.isInteger(REPOSITORIES) || REPOSITORIES < 1 || !(SETTLE_MS >= 0)) {
  process.stderr.write('memory: --tasks takes a whole number from 1000, --repositories one from 1, --settle seconds from 0\n');
  process.exit(2);
}
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const AUTHORIZATION = 'Bearer memory-bench-token';
/** Pushes per webhook delivery, and how many tasks may wait unfinished before more are sent. */
const EVENTS_PER_DELIVERY = 25;
const MAX_OUTSTANDING = 200;
const STALL_TIMEOUT_MS = 120_000;
const STEP = 1000;

const note = (message: string) => process.stderr.write(`memory: ${message}\n`);
const repositoryOf = (i: number) => `bench/app-${i % REPOSITORIES}`;
const tagOf = (i: number) => `t${i}`;

let dir: string | undefined;
let runtime: ChildProcess | undefined;
const registries: TestRegistry[] = [];

async function runtimePid(): Promise<number> {
  return Number((await readFile(join(dir!, 'data', 'crossdock.pid'), 'utf8')).trim());
}

async function rssMb(pid: number): Promise<number> {
  const status = await readFile(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]);
  return Math.round(kb / 1024);
}

/** The runtime's last V8 heap report (memory-probe.mjs), undefined before the first one. */
interface HeapReport { rss: number; heapTotal: number; heapUsed: number; spaces: Record<string, { committed: number; used: number }> }
async function heapReport(): Promise<HeapReport | undefined> {
  const text = await readFile(join(dir!, 'memory-probe.json'), 'utf8').catch(() => undefined);
  return text ? (JSON.parse(text) as HeapReport) : undefined;
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited with ${child.exitCode ?? child.signalCode}`);
    if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) return;
    await sleep(100);
  }
  throw new Error(`${url}/healthz did not answer within 60 s`);
}

/** Tags the destination holds, over every repository. */
async function copied(destination: TestRegistry): Promise<number> {
  let total = 0;
  for (let r = 0; r < Math.min(REPOSITORIES, TASKS); r++) {
    const repository = `mirror/app-${r}`;
    const res = await sendExpecting(destination, { method: 'GET', path: `/v2/${repository}/tags/list`, repository }, 200, 404);
    if (res.status === 200) total += ((JSON.parse(res.body.toString('utf8')) as { tags: string[] | null }).tags ?? []).filter((t) => t.startsWith('t')).length;
  }
  return total;
}

// Interrupted: stop the runtime and the registries all the same (the finally below runs).
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    note(`${signal}: stopping`);
  });
}

async function stop(): Promise<void> {
  if (!runtime || runtime.exitCode !== null || runtime.signalCode !== null) return;
  const pid = await runtimePid().catch(() => undefined);
  if (pid) process.kill(pid, 'SIGTERM');
  else runtime.kill('SIGTERM');
  if (!(await waitForExit(runtime, 45_000))) {
    if (pid) process.kill(pid, 'SIGKILL');
    runtime.kill('SIGKILL');
    await waitForExit(runtime, 5000);
  }
}

try {
  dir = await mkdtemp(join(tmpdir(), 'crossdock-memory-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const [source, destination] = await Promise.all([startRegistry({ name: 'memory-src' }), startRegistry({ name: 'memory-dst' })]);
  registries.push(source, destination);

  const config = join(dir, 'crossdock.yaml');
  await writeFile(config, stringify({ registries: { [destination.host]: {} }, webhooks: { distribution: { provider: 'distribution', registry: source.host, auth: { kind: 'header', header: 'authorization', value: AUTHORIZATION } } } }));
  const log = openSync(join(dir, 'runtime.log'), 'w');
  try {
    const [command, args] = NODE_FLAGS ? [process.execPath, [...NODE_FLAGS, 'infra/bin/crossdock.mjs', 'serve']] : ['npm', ['start']];
    runtime = spawn(command, args, {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: {
        ...process.env,
        NODE_OPTIONS: [process.env.NODE_OPTIONS, `--import ${JSON.stringify(fileURLToPath(new URL('./memory-probe.mjs', import.meta.url)))}`].filter(Boolean).join(' '),
        CROSSDOCK_MEMORY_PROBE: join(dir, 'memory-probe.json'),
        CROSSDOCK_PORT: String(port),
        CROSSDOCK_DATA_DIR: join(dir, 'data'),
        CROSSDOCK_CONFIG: config,
        CROSSDOCK_LOG_FORMAT: 'json',
        CROSSDOCK_LOG_LEVEL: 'warn',
      },
    });
  } finally {
    closeSync(log);
  }
  await waitForHealth(url, runtime);
  const pid = await runtimePid();
  const apiKey = (await readFile(join(dir, 'data', 'api-key'), 'utf8')).trim();
  const rule = await fetch(`${url}/rules`, {
    method: 'POST',
    headers: { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ name: 'memory bench', source: { registry: source.host, namespace: 'bench' }, destinations: [{ registry: destination.host, namespace: 'mirror' }] }),
  });
  if (rule.status !== 201) throw new Error(`POST /rules answered ${rule.status}: ${await rule.text()}`);

  // One small image per repository; every task then tags it anew (blobs exist after the first).
  const images = [];
  for (let r = 0; r < Math.min(REPOSITORIES, TASKS); r++) images.push(await pushImage(source, repositoryOf(r), { tag: 'seed', seed: `memory/${r}`, layers: 2, layerSize: 2048 }));
  note(`runtime pid ${pid} on ${url}, rss ${await rssMb(pid)} MB before any task`);

  const started = performance.now();
  const series: number[] = [];
  const heapSeries: Array<number | null> = [];
  const heapUsedSeries: Array<number | null> = [];
  // Every reading between two marks (about four a second): the low and high of each 1,000 tasks,
  // so that a single reading's place on the collector's cycle can be told from a trend.
  const lows: number[] = [];
  const highs: number[] = [];
  let low = Infinity;
  let high = 0;
  const outsideSeries: Array<number | null> = [];
  const spacesSeries: Array<HeapReport['spaces'] | null> = [];
  let sent = 0;
  let done = 0;
  let lastProgress = Date.now();
  while (done < TASKS) {
    if (interrupted) throw new Error('interrupted');
    // The end of the block under way: nothing beyond it is sent before the block is read at rest.
    const mark = Math.min(TASKS, (series.length + 1) * STEP);
    if (sent < mark && sent - done < MAX_OUTSTANDING) {
      const events = [];
      for (let k = 0; k < EVENTS_PER_DELIVERY && sent < mark; k++, sent++) {
        const image = images[sent % images.length]!;
        await pushManifest(source, repositoryOf(sent), tagOf(sent), image.bytes, image.mediaType);
        events.push({ id: `memory-${sent}`, timestamp: new Date().toISOString(), action: 'push', target: { mediaType: image.mediaType, digest: image.digest, size: image.size, repository: repositoryOf(sent), tag: tagOf(sent) } });
      }
      const res = await fetch(`${url}/webhooks/distribution`, { method: 'POST', headers: { authorization: AUTHORIZATION, 'content-type': 'application/json' }, body: JSON.stringify({ events }) });
      if (res.status !== 202) throw new Error(`webhook answered ${res.status}: ${await res.text()}`);
      continue;
    }
    await sleep(250);
    const now = await copied(destination);
    if (now > done) lastProgress = Date.now();
    else if (Date.now() - lastProgress > STALL_TIMEOUT_MS) throw new Error(`no task finished in ${STALL_TIMEOUT_MS} ms (${now} of ${TASKS} copied)`);
    done = now;
    const reading = await rssMb(pid);
    low = Math.min(low, reading);
    high = Math.max(high, reading);
    if (series.length < Math.floor(done / STEP)) {
      lows.push(low);
      highs.push(high);
      low = Infinity;
      high = 0;
      // At rest: the block's work done and nothing sent since; the probe reports every second.
      await sleep(SETTLE_MS);
      series.push(await rssMb(pid));
      const heap = await heapReport();
      spacesSeries.push(heap ? heap.spaces : null);
      heapSeries.push(heap ? heap.heapTotal : null);
      heapUsedSeries.push(heap ? heap.heapUsed : null);
      outsideSeries.push(heap ? heap.rss - heap.heapTotal : null);
      note(`${series.length * STEP} tasks copied, at rest rss ${series.at(-1)} MB (while running ${lows.at(-1)}–${highs.at(-1)}; V8 heap ${heapSeries.at(-1)} MB, outside it ${outsideSeries.at(-1)} MB), ${Math.round((performance.now() - started) / 1000)} s`);
    }
  }
  const first = series[0]!;
  const last = series[Math.floor(TASKS / STEP) - 1]!;
  console.log(JSON.stringify({
    tasks: TASKS,
    repositories: REPOSITORIES,
    node_flags: NODE_FLAGS ?? 'npm start',
    settle_seconds: SETTLE_MS / 1000,
    rss_mb: { after_1000: first, [`after_${Math.floor(TASKS / STEP) * STEP}`]: last },
    ratio: Math.round((last / first) * 100) / 100,
    // Issue 8's target: RSS after 8,000 tasks within 20 % of RSS after 1,000.
    within_20_percent: last <= first * 1.2,
    // RSS at rest after each 1,000 tasks (the block done, --settle seconds idle).
    series_mb: series,
    // The lowest and highest reading while each 1,000 tasks ran, and the ratio of the last window's high to the first's.
    window_low_mb: lows,
    window_high_mb: highs,
    high_ratio: Math.round((highs[Math.floor(TASKS / STEP) - 1]! / highs[0]!) * 100) / 100,
    heap_total_series_mb: heapSeries,
    heap_used_series_mb: heapUsedSeries,
    outside_heap_series_mb: outsideSeries,
    heap_spaces_mb: spacesSeries,
    seconds: Math.round((performance.now() - started) / 1000),
  }));
} catch (error) {
  process.exitCode = 1;
  note(`failed: ${(error as Error).stack ?? String(error)}`);
  if (dir) note(`runtime log, last lines:\n${(await readFile(join(dir, 'runtime.log'), 'utf8').catch(() => '')).split('\n').slice(-20).join('\n')}`);
} finally {
  await stop().catch((error: unknown) => note(`stopping the runtime failed: ${(error as Error).message}`));
  await Promise.all(registries.map((r) => r.close()));
  await closeRegistryClients();
  if (dir) await rm(dir, { recursive: true, force: true });
}
