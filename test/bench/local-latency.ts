/**
 * End-to-end latency and webhook throughput of the one-machine runtime, started exactly as a user
 * starts it (`npm start`), between two fresh loopback registries whose source notifies it.
 *
 *   node --import tsx test/bench/local-latency.ts [--images 50] [--seconds 10] [--connections 20]
 *
 * Phase 1 pushes IMAGES small distinct images one after another to the source and measures, for
 * each, push completed (manifest PUT answered) → the same digest at the destination tag (HEAD
 * every 20 ms); prints `{"images":N,"latency_ms":{"p50","p95","max"}}`.
 * Phase 2 runs autocannon against `/webhooks/distribution`: distinct pushes to repositories no
 * rule matches (nothing is created), then pushes the rule matches to tags the source does not
 * have (each creates a task the worker then records FAILED); one JSON line per run.
 * The runtime is stopped with SIGTERM to the pid in `<dataDir>/crossdock.pid`; registries, the
 * runtime and the temp directory are removed whatever happens.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { stringify } from 'yaml';
import { closeRegistryClients, pushImage } from '../support/images.ts';
import { freePort } from '../support/ports.ts';
import { MANIFEST_ACCEPT } from '../support/registry-reader.ts';
import { header, send, type RegistryTarget } from '../support/registry-client.ts';
import { startRegistry, type TestRegistry, waitForExit } from '../support/registry.ts';

const { values } = parseArgs({ options: {
  images: { type: 'string', default: '50' },
  seconds: { type: 'string', default: '10' },
  connections: { type: 'string', default: '20' },
} });
const IMAGES = Number(values.images);
const SECONDS = Number(values.seconds);
const CONNECTIONS = Number(values.connections);
for (const [flag, value] of Object.entries({ images: IMAGES, seconds: SECONDS, connections: CONNECTIONS })) {
  if (!Number.isInteger(value) || value < 1) {
    process.stderr.write(`local-latency: --${flag} takes a whole number from 1, got "${values[flag as keyof typeof values]}"\n`);
    process.exit(2);
  }
}
const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const WEBHOOK_AUTHORIZATION = 'Bearer lab-webhook-token';
const POLL_MS = 20;
const IMAGE_TIMEOUT_MS = 30_000;
const READY_TIMEOUT_MS = 60_000;
/** The runtime's shutdown grace is 30 s by default; past this it is killed. */
const STOP_TIMEOUT_MS = 45_000;
const SETTLE_TIMEOUT_MS = 120_000;
const SOURCE_NAMESPACE = 'bench';
const DESTINATION_NAMESPACE = 'mirror';

const note = (message: string) => process.stderr.write(`local-latency: ${message}\n`);

let dir: string | undefined;
let runtime: ChildProcess | undefined;
let runtimePid: number | undefined;
const registries: TestRegistry[] = [];

/** process.kill, where a process that is gone already (ESRCH) is what we wanted. */
function signalPid(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(pid, signal);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ESRCH') throw error;
  }
}

// A crash that skips cleanup must still not leave the runtime serving.
process.on('exit', () => {
  if (runtime && runtime.exitCode === null && runtime.signalCode === null) {
    if (runtimePid !== undefined) signalPid(runtimePid, 'SIGKILL');
    runtime.kill('SIGKILL');
  }
});

let cleaning: Promise<void> | undefined;
function cleanup(): Promise<void> {
  cleaning ??= (async () => {
    await stopRuntime().catch((error: unknown) => note(`stopping the runtime failed: ${(error as Error).message}`));
    await Promise.all(registries.map((r) => r.close()));
    await closeRegistryClients();
    if (dir) await rm(dir, { recursive: true, force: true });
  })();
  return cleaning;
}
let interrupted = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    interrupted = true;
    void cleanup().finally(() => process.exit(130));
  });
}

async function stopRuntime(): Promise<void> {
  if (!runtime || !dir) return;
  const child = runtime;
  const pidFile = join(dir, 'data', 'crossdock.pid');
  // The pid file names the node process serving; npm only relays its exit.
  const pid = Number((await readFile(pidFile, 'utf8').catch(() => '')).trim()) || runtimePid;
  if (child.exitCode !== null || child.signalCode !== null) return;
  const started = performance.now();
  if (pid !== undefined) signalPid(pid, 'SIGTERM');
  else child.kill('SIGTERM');
  if (!(await waitForExit(child, STOP_TIMEOUT_MS))) {
    note(`runtime (pid ${pid}) still running ${STOP_TIMEOUT_MS} ms after SIGTERM: killed`);
    if (pid !== undefined) signalPid(pid, 'SIGKILL');
    child.kill('SIGKILL');
    await waitForExit(child, 5000);
  }
  const pidLeft = await readFile(pidFile, 'utf8').then(() => true, () => false);
  note(`runtime stopped in ${Math.round(performance.now() - started)} ms, npm exit ${child.exitCode ?? child.signalCode}${pidLeft ? ', pid file left behind' : ''}`);
}

async function logTail(lines: number): Promise<string> {
  if (!dir) return '';
  const log = await readFile(join(dir, 'runtime.log'), 'utf8').catch(() => '');
  return log.split('\n').slice(-lines).join('\n');
}

type Api = (method: string, path: string, body?: unknown) => Promise<{ status: number; json: unknown }>;

function createApi(url: string, key: string): Api {
  return async (method, path, body) => {
    const res = await fetch(`${url}${path}`, {
      method,
      headers: { authorization: `Bearer ${key}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: await res.json() };
  };
}

async function waitForHealth(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`npm start exited with ${child.exitCode ?? child.signalCode} before serving`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`${url}/healthz did not answer 200 within ${READY_TIMEOUT_MS} ms`);
}

/** The digest at a tag, from a HEAD; undefined while the registry answers 404. */
async function headDigest(reg: RegistryTarget, repository: string, tag: string): Promise<string | undefined> {
  const res = await send(reg, { method: 'HEAD', path: `/v2/${repository}/manifests/${tag}`, repository, headers: { accept: MANIFEST_ACCEPT } });
  if (res.status === 404) return undefined;
  if (res.status !== 200) throw new Error(`HEAD ${repository}:${tag} on ${reg.url} answered ${res.status}`);
  return header(res, 'docker-content-digest');
}

function percentile(sorted: number[], p: number): number {
  return sorted[Math.max(0, Math.ceil((p / 100) * sorted.length) - 1)] ?? Number.NaN;
}

async function measureLatency(source: TestRegistry, destination: TestRegistry): Promise<number[]> {
  const runId = Date.now().toString(36);
  const latencies: number[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const tag = `v1.0.${i}`;
    const pushed = await pushImage(source, `${SOURCE_NAMESPACE}/app`, { tag, seed: `local-latency/${runId}/${i}`, layers: 2, layerSize: 1024 });
    const started = performance.now();
    for (;;) {
      if ((await headDigest(destination, `${DESTINATION_NAMESPACE}/app`, tag)) === pushed.digest) break;
      if (performance.now() - started > IMAGE_TIMEOUT_MS) throw new Error(`${SOURCE_NAMESPACE}/app:${tag} (${pushed.digest}) not at ${destination.host}/${DESTINATION_NAMESPACE}/app after ${IMAGE_TIMEOUT_MS} ms`);
      await sleep(POLL_MS);
    }
    latencies.push(performance.now() - started);
  }
  return latencies;
}

/** One autocannon run of distinct distribution push events for repositories `repository(n)`. */
async function webhookLoad(url: string, label: string, repository: (n: number) => string): Promise<void> {
  let n = 0;
  const body = () => {
    n++;
    return JSON.stringify({ events: [{
      id: `local-latency-${label}-${n}`,
      timestamp: new Date().toISOString(),
      action: 'push',
      target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${n.toString(16).padStart(64, '0')}`, size: 1234, repository: repository(n), tag: `v0.0.${n}` },
    }] });
  };
  const result = await autocannon({
    url: `${url}/webhooks/distribution`,
    method: 'POST',
    headers: { authorization: WEBHOOK_AUTHORIZATION, 'content-type': 'application/json' },
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  console.log(JSON.stringify({
    webhook: label,
    connections: CONNECTIONS,
    seconds: SECONDS,
    requests: result.requests.total,
    requests_per_s: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
    non_2xx: result.non2xx,
    errors: result.errors,
  }));
}

/** How many records of a rule are in each status (every page), and one failure as an example. */
async function countTasks(api: Api, ruleId: string): Promise<{ counts: Record<string, number>; sampleError?: string }> {
  const counts: Record<string, number> = {};
  let sampleError: string | undefined;
  for (const status of ['PENDING', 'RUNNING', 'SUCCEEDED', 'SKIPPED', 'FAILED']) {
    let cursor: string | undefined;
    let total = 0;
    do {
      const page = await api('GET', `/tasks?rule=${ruleId}&status=${status}&limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      const { items, cursor: next } = page.json as { items: { error?: { code: string; message: string } }[]; cursor?: string };
      total += items.length;
      const error = items[0]?.error;
      if (sampleError === undefined && error) sampleError = `${error.code}: ${error.message}`;
      cursor = next;
    } while (cursor !== undefined);
    counts[status] = total;
  }
  return sampleError === undefined ? { counts } : { counts, sampleError };
}

try {
  dir = await mkdtemp(join(tmpdir(), 'crossdock-local-latency-'));
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const source = await startRegistry({ name: 'latency-src', notify: { url: `${url}/webhooks/distribution`, headers: { Authorization: [WEBHOOK_AUTHORIZATION] } } });
  registries.push(source);
  const destination = await startRegistry({ name: 'latency-dst' });
  registries.push(destination);

  const configFile = join(dir, 'crossdock.yaml');
  await writeFile(configFile, stringify({
    webhooks: { distribution: { provider: 'distribution', registry: source.host, auth: { kind: 'header', header: 'authorization', value: WEBHOOK_AUTHORIZATION } } },
    registries: { [destination.host]: {} },
  }));
  const log = openSync(join(dir, 'runtime.log'), 'w');
  try {
    runtime = spawn('npm', ['start'], {
      cwd: ROOT,
      stdio: ['ignore', log, log],
      env: { ...process.env, CROSSDOCK_PORT: String(port), CROSSDOCK_DATA_DIR: join(dir, 'data'), CROSSDOCK_CONFIG: configFile, CROSSDOCK_LOG_FORMAT: 'json' },
    });
  } finally {
    closeSync(log);
  }
  const booted = performance.now();
  await waitForHealth(url, runtime);
  runtimePid = Number((await readFile(join(dir, 'data', 'crossdock.pid'), 'utf8')).trim());
  note(`runtime pid ${runtimePid} healthy on ${url} after ${Math.round(performance.now() - booted)} ms; source ${source.host}, destination ${destination.host}`);

  const api = createApi(url, (await readFile(join(dir, 'data', 'api-key'), 'utf8')).trim());
  const created = await api('POST', '/rules', {
    name: 'local latency bench',
    source: { registry: source.host, namespace: SOURCE_NAMESPACE },
    destinations: [{ registry: destination.host, namespace: DESTINATION_NAMESPACE }],
  });
  if (created.status !== 201) throw new Error(`POST /rules answered ${created.status}: ${JSON.stringify(created.json)}`);
  const ruleId = (created.json as { id: string }).id;

  const latencies = (await measureLatency(source, destination)).sort((a, b) => a - b);
  const round = (ms: number) => Math.round(ms * 10) / 10;
  console.log(JSON.stringify({ images: IMAGES, latency_ms: { p50: round(percentile(latencies, 50)), p95: round(percentile(latencies, 95)), max: round(latencies.at(-1) ?? Number.NaN) } }));

  await webhookLoad(url, 'unmatched', (n) => `elsewhere-${n % 100}/app`);
  await webhookLoad(url, 'matched', (n) => `${SOURCE_NAMESPACE}/absent-${n % 100}`);
  // Those tags do not exist at the source: the worker records each task FAILED (permanent, 404).
  const settleStarted = performance.now();
  let tasks = await countTasks(api, ruleId);
  while ((tasks.counts.PENDING ?? 0) + (tasks.counts.RUNNING ?? 0) > 0 && performance.now() - settleStarted < SETTLE_TIMEOUT_MS) {
    await sleep(2000);
    tasks = await countTasks(api, ruleId);
  }
  console.log(JSON.stringify({ tasks_of_rule: tasks.counts, waited_ms: Math.round(performance.now() - settleStarted), sample_error: tasks.sampleError }));
} catch (error) {
  process.exitCode = 1;
  // Interrupted: cleanup closed what the run was using; its errors say nothing.
  if (interrupted) await new Promise(() => {});
  note(`failed: ${(error as Error).stack ?? String(error)}`);
  note(`runtime log, last lines:\n${await logTail(40)}`);
} finally {
  await cleanup();
}
