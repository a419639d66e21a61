import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadLocalConfig } from '../../../infra/local/config.ts';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { silentLogger } from '../../../shared/log.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';
import { closeRegistryClients, getManifest, pushImage } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';

describe('the runtime on configured AWS endpoints instead of the embedded ones', () => {
  let aws: LocalAws;
  let runtime: LocalRuntime;
  let src: TestRegistry;
  let dst: TestRegistry;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crossdock-aws-mode-'));
    [src, dst] = await Promise.all([startRegistry({ name: 'aws-src' }), startRegistry({ name: 'aws-dst' })]);
    aws = await startLocalAws({ visibilityTimeoutSeconds: 60 });
    const config = await loadLocalConfig(undefined, {}, dir);
    runtime = await startLocalRuntime({
      ...config,
      listen: { host: '127.0.0.1', port: 0 },
      apiKeys: ['aws-mode-key'],
      registries: { [src.host]: {}, [dst.host]: {} },
      aws: { region: 'us-east-1', rulesTable: aws.tables.rules, tasksTable: aws.tables.tasks, queueUrl: aws.queueUrl, dynamodbEndpoint: aws.dynamodbEndpoint, sqsEndpoint: aws.sqsEndpoint },
    }, {}, silentLogger);
  });

  after(async () => {
    await runtime?.stop();
    await aws?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
    await rm(dir, { recursive: true, force: true });
  });

  test('a manual sync goes through the configured tables and queue', async () => {
    const pushed = await pushImage(src, 'app/api', { tag: 'v1', seed: 'aws-mode' });
    const res = await fetch(`${runtime.url}/sync`, { method: 'POST', headers: { authorization: 'Bearer aws-mode-key', 'content-type': 'application/json' }, body: JSON.stringify({ source: `${src.host}/app/api:v1`, destinations: [`${dst.host}/copy/api`] }) });
    assert.equal(res.status, 202);
    const { tasks } = (await res.json()) as { tasks: Array<{ id: string }> };
    const started = Date.now();
    let record: { status: string } | undefined;
    while (Date.now() - started < 20_000) {
      record = await runtime.service.taskStore.get(tasks[0]!.id);
      if (record?.status === 'SUCCEEDED') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    assert.equal(record?.status, 'SUCCEEDED');
    assert.equal((await getManifest(dst, 'copy/api', 'v1'))?.digest, pushed.digest);
  });
});

describe('the runtime configuration', () => {
  test('a bad file is refused naming every problem; environment overrides the file', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'crossdock-config-'));
    try {
      const bad = join(dir, 'bad.yaml');
      await writeFile(bad, 'listen: { port: "eighty" }\nworker: { concurrency: 0, colour: blue }\nwebhooks: { x: { provider: distribution, auth: { kind: header } } }\n');
      await assert.rejects(loadLocalConfig(bad, {}), (error: Error) => {
        assert.ok(error instanceof InvalidInputError);
        const text = error.problems.join('\n');
        assert.equal(error.problems.length, 5, text);
        for (const field of ['listen.port', 'worker.concurrency', 'worker: Unrecognized key', 'webhooks.x.auth.header', 'webhooks.x.auth.value']) assert.ok(text.includes(field), `${field} in ${text}`);
        return true;
      });
      const good = join(dir, 'good.yaml');
      await writeFile(good, 'listen: { port: 9000 }\ndataDir: state\n');
      const config = await loadLocalConfig(good, { CROSSDOCK_PORT: '9100', CROSSDOCK_API_KEY: 'a,b' }, dir);
      assert.equal(config.listen.port, 9100);
      assert.equal(config.listen.host, '127.0.0.1');
      assert.equal(config.dataDir, join(dir, 'state'));
      assert.deepEqual(config.apiKeys, ['a', 'b']);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
