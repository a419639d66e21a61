import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { closeRegistryClients, getManifest, hasBlob, pushImage } from '../../support/images.ts';
import { freePort } from '../../support/ports.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const TOKEN = 'Bearer runtime-test-token';
const MiB = 1024 * 1024;

interface Runtime {
  child: ChildProcess;
  url: string;
  output: string[];
  exited: Promise<number | null>;
}

let dir: string;
let dataDir: string;
let configFile: string;
let port: number;
let src: TestRegistry;
let dst: TestRegistry;
let apiKey: string;

/** Starts the runtime the way the README says: `npm start`. */
async function start(): Promise<Runtime> {
  const child = spawn('npm', ['start', '--silent'], {
    cwd: ROOT,
    env: { ...process.env, CROSSDOCK_PORT: String(port), CROSSDOCK_DATA_DIR: dataDir, CROSSDOCK_CONFIG: configFile, CROSSDOCK_LOG_FORMAT: 'json' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const output: string[] = [];
  child.stdout!.on('data', (d: Buffer) => output.push(d.toString()));
  child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  const started = Date.now();
  for (;;) {
    if (Date.now() - started > 30_000) assert.fail(`runtime did not start:\n${output.join('')}`);
    const ok = await fetch(`${url}/healthz`).then((r) => r.ok, () => false);
    if (ok) break;
    await new Promise((r) => setTimeout(r, 100));
  }
  apiKey = (await readFile(join(dataDir, 'api-key'), 'utf8')).trim();
  return { child, url, output, exited };
}

/** Signals the runtime's node process itself (npm would forward a second signal). */
async function signal(name: NodeJS.Signals): Promise<void> {
  const pid = Number((await readFile(join(dataDir, 'crossdock.pid'), 'utf8')).trim());
  process.kill(pid, name);
}

async function api(rt: Runtime, method: string, path: string, body?: unknown): Promise<{ status: number; body: any }> {
  const res = await fetch(`${rt.url}${path}`, { method, headers: { authorization: `Bearer ${apiKey}`, ...(body ? { 'content-type': 'application/json' } : {}) }, ...(body ? { body: JSON.stringify(body) } : {}) });
  const text = await res.text();
  return { status: res.status, body: text ? JSON.parse(text) : undefined };
}

async function taskOf(rt: Runtime, repository: string, status?: string, timeoutMs = 60_000): Promise<any> {
  const started = Date.now();
  for (;;) {
    const { body } = await api(rt, 'GET', `/tasks?repository=${encodeURIComponent(`${src.host}/${repository}`)}`);
    const task = body.items.find((t: any) => status === undefined || t.status === status);
    if (task) return task;
    if (Date.now() - started > timeoutMs) assert.fail(`no ${status ?? ''} task for ${repository}: ${JSON.stringify(body.items)}\n${rt.output.join('').slice(-3000)}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

describe('npm start: the whole system on one machine', () => {
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crossdock-runtime-'));
    dataDir = join(dir, 'data');
    configFile = join(dir, 'crossdock.yaml');
    port = await freePort();
    src = await startRegistry({ name: 'rt-src', notify: { url: `http://127.0.0.1:${port}/webhooks/distribution`, headers: { Authorization: [TOKEN] } } });
    dst = await startRegistry({ name: 'rt-dst' });
    await writeFile(configFile, [
      'webhooks:',
      '  distribution:',
      '    provider: distribution',
      `    registry: "${src.host}"`,
      '    auth: { kind: header, header: authorization, value: { env: RUNTIME_TEST_TOKEN } }',
      // The destination is declared (issue 8); the source is, as the webhook source's registry.
      'registries:',
      `  "${dst.host}": {}`,
      'worker: { shutdownGraceSeconds: 10, visibilityTimeoutSeconds: 60 }',
      'schedules: { sweepSeconds: 5 }',
    ].join('\n'));
    process.env.RUNTIME_TEST_TOKEN = TOKEN;
  });

  after(async () => {
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
    await rm(dir, { recursive: true, force: true });
  });

  test('a push is replicated and recorded; SIGTERM stops it cleanly; a restart on the same data keeps rules and records', async () => {
    const rt = await start();
    let ruleId: string;
    let taskId: string;
    try {
      const rule = await api(rt, 'POST', '/rules', { name: 'runtime', source: { registry: src.host, namespace: 'team' }, destinations: [{ registry: dst.host, namespace: 'mirror' }] });
      assert.equal(rule.status, 201, JSON.stringify(rule.body));
      ruleId = rule.body.id;
      const pushed = await pushImage(src, 'team/app', { tag: 'v1', seed: 'runtime-v1' });

      const task = await taskOf(rt, 'team/app', 'SUCCEEDED');
      taskId = task.id;
      assert.equal(task.result.digest, pushed.digest);
      assert.equal((await getManifest(dst, 'mirror/app', 'v1'))?.digest, pushed.digest);
    } finally {
      await signal('SIGTERM');
    }
    assert.equal(await rt.exited, 0, rt.output.join(''));
    assert.match(rt.output.join(''), /"message":"crossdock stopped"/);

    const again = await start();
    try {
      assert.deepEqual((await api(again, 'GET', '/rules')).body.items.map((r: { id: string }) => r.id), [ruleId]);
      const record = await api(again, 'GET', `/tasks/${taskId}`);
      assert.equal(record.body.status, 'SUCCEEDED');
    } finally {
      await signal('SIGTERM');
      assert.equal(await again.exited, 0);
    }
  });

  test('killed (SIGKILL) in the middle of a large copy, restarted: the task completes and the image is correct', async () => {
    const rt = await start();
    const pushed = await pushImage(src, 'team/big', { tag: 'v1', seed: 'runtime-big', layers: 1, layerSize: 256 * MiB });
    const running = await taskOf(rt, 'team/big', 'RUNNING');
    // Some bytes are on their way; kill the whole process group, as a crash or OOM would.
    await new Promise((r) => setTimeout(r, 300));
    await signal('SIGKILL');
    rt.child.kill('SIGKILL');
    await rt.exited;
    assert.equal(await getManifest(dst, 'mirror/big', 'v1'), undefined, 'the kill came before the tag');

    const again = await start();
    try {
      const done = await taskOf(again, 'team/big', 'SUCCEEDED', 120_000);
      assert.equal(done.id, running.id);
      assert.ok(done.attempts >= 2, `attempts ${done.attempts}`);
      assert.equal((await getManifest(dst, 'mirror/big', 'v1'))?.digest, pushed.digest);
      for (const blob of pushed.blobs) assert.ok(await hasBlob(dst, 'mirror/big', blob.digest), blob.digest);
    } finally {
      await signal('SIGTERM');
      assert.equal(await again.exited, 0);
    }
  });

  test('a second runtime on the same data directory is refused with one clear line', async () => {
    const rt = await start();
    try {
      const other = spawn(process.execPath, ['infra/bin/crossdock.mjs', 'serve', '--port', '0', '--data-dir', dataDir], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
      let stderr = '';
      other.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
      const code = await new Promise<number | null>((resolve) => other.once('exit', resolve));
      assert.equal(code, 2);
      assert.match(stderr, /^crossdock: another crossdock \(pid \d+\) is serving .* \[DATA_DIR_IN_USE\]\n$/);
    } finally {
      await signal('SIGTERM');
      await rt.exited;
    }
  });
});
