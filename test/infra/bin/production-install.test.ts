import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { freePort } from '../../support/ports.ts';
import { copyPackage, ROOT, type PackageCopy } from './package-copy.ts';

let pkg: PackageCopy;

before(async () => {
  // `npm ci --omit=dev --offline`: the packages come from the npm cache the checkout's own
  // `npm ci` filled, so nothing leaves this machine.
  pkg = await copyPackage('production');
});

after(() => pkg?.remove());

test('a production install (npm ci --omit=dev) has what the CLI needs and serves the API', async () => {
  const start = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')).scripts.start as string;
  assert.equal(start, 'node --max-semi-space-size=1 --optimize-for-size infra/bin/crossdock.mjs serve', 'the command started below is npm start\'s');
  const port = await freePort();
  const dataDir = join(pkg.dir, 'data');
  // A clean environment: only what the runtime needs, so nothing in this shell (AWS settings
  // included) can point it anywhere but the embedded servers on loopback.
  const env = { PATH: process.env.PATH, HOME: pkg.dir, CROSSDOCK_PORT: String(port), CROSSDOCK_HOST: '127.0.0.1', CROSSDOCK_DATA_DIR: dataDir, CROSSDOCK_LOG_FORMAT: 'json' };
  const child = spawn(process.execPath, ['--max-semi-space-size=1', '--optimize-for-size', 'infra/bin/crossdock.mjs', 'serve'], { cwd: pkg.dir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  let output = '';
  child.stdout.on('data', (d: Buffer) => (output += d.toString()));
  child.stderr.on('data', (d: Buffer) => (output += d.toString()));
  let exitCode: number | null | undefined;
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve((exitCode = code))));
  try {
    const url = `http://127.0.0.1:${port}`;
    for (const started = Date.now(); ; await new Promise((r) => setTimeout(r, 200))) {
      if (exitCode !== undefined) assert.fail(`the runtime exited ${exitCode} before serving:\n${output}`);
      if (Date.now() - started > 180_000) assert.fail(`the runtime did not serve within 180 s:\n${output}`);
      if (await fetch(`${url}/healthz`).then((r) => r.ok, () => false)) break;
    }
    const apiKey = (await readFile(join(dataDir, 'api-key'), 'utf8')).trim();

    const rules = await fetch(`${url}/rules`, { headers: { authorization: `Bearer ${apiKey}` } });

    assert.equal(rules.status, 200);
    assert.deepEqual(await rules.json(), { items: [] });
  } finally {
    child.kill('SIGTERM');
  }
  assert.equal(await exited, 0, output);
});
