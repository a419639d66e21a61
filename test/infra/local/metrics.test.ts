import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadLocalConfig } from '../../../infra/local/config.ts';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { silentLogger } from '../../../shared/log.ts';
import { SIGNATURE_HEADER, verifySignature } from '../../../shared/notifications/signature.ts';
import type { Task } from '../../../shared/tasks/task.ts';
import { closeRegistryClients, pushImage } from '../../support/images.ts';
import { startNotificationReceiver, type NotificationReceiver } from '../../support/notification-receiver.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';

const KEY = 'metrics-test-key-0123456789';
const SECRET = 'metrics-test-notify-secret';

/** Samples of a Prometheus text exposition: `name{labels}` → value. */
function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    out.set(line.slice(0, at), Number(line.slice(at + 1)));
  }
  return out;
}

describe('the local runtime: GET /metrics after a workload, and notifications wired to its worker', () => {
  let runtime: LocalRuntime;
  let src: TestRegistry;
  let dst: TestRegistry;
  let receiver: NotificationReceiver;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crossdock-metrics-'));
    [src, dst, receiver] = await Promise.all([startRegistry({ name: 'metrics-src' }), startRegistry({ name: 'metrics-dst' }), startNotificationReceiver()]);
    const config = await loadLocalConfig(undefined, {}, dir);
    runtime = await startLocalRuntime({
      ...config,
      listen: { host: '127.0.0.1', port: 0 },
      apiKeys: [KEY],
      registries: { [src.host]: {}, [dst.host]: {} },
      worker: { ...config.worker, maxReceiveCount: 1 },
      notifications: { targets: { ops: { kind: 'webhook', url: receiver.url, secret: SECRET } }, global: [{ on: 'failure', targets: ['ops'] }] },
    }, {}, silentLogger);
  });

  after(async () => {
    await runtime?.stop();
    await Promise.all([src?.close(), dst?.close(), receiver?.close()]);
    await closeRegistryClients();
    await rm(dir, { recursive: true, force: true });
  });

  const sync = async (source: string, destination: string): Promise<string> => {
    const res = await fetch(`${runtime.url}/sync`, { method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' }, body: JSON.stringify({ source, destinations: [destination] }) });
    assert.equal(res.status, 202);
    return ((await res.json()) as { tasks: Array<{ id: string }> }).tasks[0]!.id;
  };

  test('the lag histogram, bytes, blobs, failures by code, tasks by status and manifest GETs match the records', async () => {
    await pushImage(src, 'team/one', { tag: 'v1', seed: 'metrics-one' });
    await pushImage(src, 'team/two', { tag: 'v1', seed: 'metrics-two', layers: 3 });
    const ids = [
      await sync(`${src.host}/team/one:v1`, `${dst.host}/copy/one`),
      await sync(`${src.host}/team/two:v1`, `${dst.host}/copy/two`),
      await sync(`${src.host}/team/missing:v1`, `${dst.host}/copy/missing`),
    ];

    let text = '';
    const started = Date.now();
    for (;;) {
      const res = await fetch(`${runtime.url}/metrics`, { headers: { authorization: `Bearer ${KEY}` } });
      assert.equal(res.status, 200);
      assert.match(res.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
      text = await res.text();
      const s = samples(text);
      if ((s.get('crossdock_tasks_total{status="SUCCEEDED"}') ?? 0) + (s.get('crossdock_tasks_total{status="FAILED"}') ?? 0) >= 3) break;
      assert.ok(Date.now() - started < 30_000, `timed out; last scrape:\n${text}`);
      await new Promise((r) => setTimeout(r, 200));
    }
    const records = (await Promise.all(ids.map((id) => runtime.service.taskStore.get(id)))) as Task[];
    const succeeded = records.filter((r) => r.status === 'SUCCEEDED');
    const failed = records.filter((r) => r.status === 'FAILED');
    assert.equal(succeeded.length, 2, JSON.stringify(records));
    assert.equal(failed.length, 1);
    const s = samples(text);

    assert.equal(s.get('crossdock_tasks_total{status="SUCCEEDED"}'), 2);
    assert.equal(s.get('crossdock_tasks_total{status="FAILED"}'), 1);
    assert.equal(s.get(`crossdock_task_failures_total{code="${failed[0]!.error!.code}"}`), 1);
    assert.equal(s.get('crossdock_replication_lag_seconds_count'), 2);
    assert.equal(s.get('crossdock_replication_lag_seconds_bucket{le="+Inf"}'), 2);
    assert.equal(s.get('crossdock_replication_lag_seconds_bucket{le="3600"}'), 2);
    const lagSum = succeeded.reduce((sum, r) => sum + (Date.parse(r.finishedAt!) - Date.parse(r.pushedAt ?? r.createdAt)) / 1000, 0);
    assert.ok(Math.abs(s.get('crossdock_replication_lag_seconds_sum')! - lagSum) < 1e-6, `${s.get('crossdock_replication_lag_seconds_sum')} vs ${lagSum}`);
    assert.equal(s.get('crossdock_queue_wait_seconds_count'), 3);
    assert.equal(s.get('crossdock_copied_bytes_total'), succeeded.reduce((sum, r) => sum + r.result!.bytes, 0));
    assert.ok(s.get('crossdock_copied_bytes_total')! > 0);
    for (const outcome of ['copied', 'mounted', 'skipped'] as const) {
      assert.equal(s.get(`crossdock_blobs_total{outcome="${outcome}"}`), succeeded.reduce((sum, r) => sum + r.result!.blobs[outcome], 0), outcome);
    }
    // Each task GETs its source manifest at least once: the pull budget a source registry sees.
    assert.ok((s.get(`crossdock_registry_manifest_gets_total{registry="${src.host}"}`) ?? 0) >= 3, text);

    const anonymous = await fetch(`${runtime.url}/metrics`);
    assert.equal(anonymous.status, 401);

    // A rule may only name declared targets: every unknown one is listed in one 400.
    const refused = await fetch(`${runtime.url}/rules`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ name: 'bad targets', source: { registry: src.host, namespace: 'team' }, destinations: [{ registry: dst.host, namespace: 'x' }], notifications: [{ on: 'failure', targets: ['ops', 'nope'] }, { on: 'task', targets: ['gone'] }] }),
    });
    assert.equal(refused.status, 400);
    const problems = JSON.stringify(await refused.json());
    assert.match(problems, /notifications\.0\.targets: no notification target \\"nope\\" is declared/);
    assert.match(problems, /notifications\.1\.targets: no notification target \\"gone\\" is declared/);

    // The runtime's worker tells the declared target of the failure, once, signed.
    assert.equal(receiver.received.length, 1);
    assert.equal(receiver.received[0]!.json.task.id, failed[0]!.id);
    assert.ok(verifySignature(SECRET, receiver.received[0]!.body, receiver.received[0]!.headers[SIGNATURE_HEADER] as string));
  });
});
