import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
let dir: string;
let taken: Server;
let port: number;

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'crossdock-port-'));
  taken = createServer((socket) => socket.destroy());
  await new Promise<void>((resolve) => taken.listen({ host: '127.0.0.1', port: 0 }, resolve));
  port = (taken.address() as { port: number }).port;
});

after(async () => {
  await new Promise((resolve) => taken?.close(resolve));
  await rm(dir, { recursive: true, force: true });
});

test('serve on a port already in use exits 2 with one line, releases its pid lock and leaves nothing running', async () => {
  const dataDir = join(dir, 'data');
  // A clean environment: the runtime can reach nothing but its own embedded servers on loopback.
  const env = { PATH: process.env.PATH, HOME: dir, CROSSDOCK_LOG_FORMAT: 'json' };
  const child = spawn(process.execPath, ['infra/bin/crossdock.mjs', 'serve', '--port', String(port), '--host', '127.0.0.1', '--data-dir', dataDir], { cwd: ROOT, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  // Before the fix the process never exited: its queue poller kept it alive. The generous limit
  // covers a first start that builds the bundle on a busy machine.
  const limit = setTimeout(() => child.kill('SIGKILL'), 120_000);
  const [code, signal] = await new Promise<[number | null, NodeJS.Signals | null]>((resolve) => child.once('exit', (c, s) => resolve([c, s])));
  clearTimeout(limit);

  assert.equal(signal, null, `still running after 120 s, killed:\n${stdout}${stderr}`);
  assert.equal(code, 2, stdout + stderr);
  assert.match(stderr, new RegExp(`^crossdock: port ${port} on 127\\.0\\.0\\.1 is already in use; [^\\n]* \\[PORT_IN_USE\\]\\n$`));
  assert.doesNotMatch(stdout, /queue receive failed/);
  assert.equal(existsSync(join(dataDir, 'crossdock.pid')), false, 'pid lock released');
});
