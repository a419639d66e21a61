/** `npm start`'s runtime serves the console beside the API, over its embedded DynamoDB and SQS. */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadLocalConfig } from '../../../infra/local/config.ts';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { silentLogger } from '../../../shared/log.ts';

const KEY = 'local-console-key-0123456789';

describe('the console on the local runtime', () => {
  let runtime: LocalRuntime;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crossdock-console-'));
    const config = await loadLocalConfig(undefined, {}, dir);
    runtime = await startLocalRuntime({ ...config, dataDir: join(dir, 'data'), listen: { host: '127.0.0.1', port: 0 }, apiKeys: [KEY] }, {}, silentLogger);
  });

  after(async () => {
    await runtime?.stop();
    await rm(dir, { recursive: true, force: true });
  });

  test('signs in with the configured key and shows the embedded queue depth on the health page', async () => {
    const signIn = await fetch(`${runtime.url}/ui/sign-in`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded', origin: runtime.url },
      body: new URLSearchParams({ apiKey: KEY, next: '/ui/health' }),
    });
    assert.equal(signIn.status, 303);
    const cookie = (signIn.headers.get('set-cookie') ?? '').split(';')[0]!;
    const health = await fetch(`${runtime.url}/ui/health`, { headers: { cookie } });
    assert.equal(health.status, 200);
    const html = await health.text();
    assert.match(html, /Queue: waiting<b>0<\/b>0 in flight, 0 delayed/);
    assert.match(html, /No task failed in the last 24 hours/);
    // The JSON API is unchanged beside it.
    assert.equal((await fetch(`${runtime.url}/rules`)).status, 401);
    assert.equal((await fetch(`${runtime.url}/rules`, { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
  });
});
