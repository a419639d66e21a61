import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { loadLocalConfig } from '../../../infra/local/config.ts';
import { startLocalRuntime, type LocalRuntime } from '../../../infra/local/runtime.ts';
import { silentLogger } from '../../../shared/log.ts';
import type { Task } from '../../../shared/tasks/task.ts';
import { startFaultProxy, type FaultProxy } from '../../support/fault-proxy.ts';
import { closeRegistryClients, getBlob, getManifest, hasBlob, pushImage } from '../../support/images.ts';
import { startRegistries, type TestRegistry } from '../../support/registry.ts';

// Large blobs through the local runtime with a Lambda-like 3 s invocation limit (1 s left too
// little past the claim on a machine at a load average of 40): the source is read through a proxy
// that slows it to RATE (so a blob takes several invocations), and the destination's proxy counts
// every request body byte it receives.
const MiB = 1024 * 1024;
const SIZE = 64 * MiB;
const RATE = 8 * MiB;
const KEY = 'resume-test-key';
const BLOB_GET = /\/blobs\/sha256:/;

describe('resumable transfers: a blob longer than one invocation', () => {
  let src: TestRegistry;
  let dst: TestRegistry;
  let srcProxy: FaultProxy;
  let dstProxy: FaultProxy;
  let runtime: LocalRuntime;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'crossdock-resume-'));
    const registries = await startRegistries(2, { name: 'resume' });
    src = registries[0]!;
    dst = registries[1]!;
    [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
    const config = await loadLocalConfig(undefined, {}, dir);
    runtime = await startLocalRuntime({
      ...config,
      listen: { host: '127.0.0.1', port: 0 },
      apiKeys: [KEY],
      registries: { [srcProxy.host]: {}, [dstProxy.host]: {} },
      // Fewer receives than the copy needs invocations: a stop at the deadline must not count.
      worker: { ...config.worker, invocationSeconds: 3, maxReceiveCount: 2, concurrency: 1, visibilityTimeoutSeconds: 30 },
    }, {}, silentLogger);
  });

  after(async () => {
    await runtime?.stop();
    await Promise.all([srcProxy?.close(), dstProxy?.close()]);
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
    await rm(dir, { recursive: true, force: true });
  });

  async function sync(repository: string): Promise<{ taskId: string; layer: Buffer; digest: string; layerDigest: string }> {
    const layer = randomBytes(SIZE);
    const pushed = await pushImage(src, repository, { tag: 'v1', layers: 0, sharedLayers: [layer] });
    const res = await fetch(`${runtime.url}/sync`, {
      method: 'POST',
      headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
      body: JSON.stringify({ source: `${srcProxy.host}/${repository}:v1`, destinations: [`${dstProxy.host}/${repository}`] }),
    });
    assert.equal(res.status, 202);
    const { tasks } = (await res.json()) as { tasks: Array<{ id: string }> };
    return { taskId: tasks[0]!.id, layer, digest: pushed.digest, layerDigest: `sha256:${createHash('sha256').update(layer).digest('hex')}` };
  }

  /** Polls the record until `done` holds; every paused state seen along the way is kept. */
  async function watch(taskId: string, done: (task: Task) => boolean, seen: Task[] = []): Promise<Task> {
    const started = Date.now();
    for (;;) {
      const task = await runtime.service.taskStore.get(taskId);
      if (task?.resume && seen.at(-1)?.resume?.pauses !== task.resume.pauses) seen.push(task);
      if (task && done(task)) return task;
      if (Date.now() - started > 120_000) assert.fail(`task ${taskId} still ${task?.status}: ${JSON.stringify(task)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  const finished = (task: Task) => ['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(task.status);

  test('a 64 MiB layer is copied over several 3 s invocations, each going on where the last stopped', async () => {
    srcProxy.clearFaults();
    srcProxy.addFault({ method: 'GET', path: BLOB_GET, times: Infinity, action: { kind: 'throttle', bytesPerSecond: RATE } });
    const before = dstProxy.bytesReceived;
    const { taskId, layer, digest, layerDigest } = await sync('resume/plain');
    const paused: Task[] = [];
    const task = await watch(taskId, finished, paused);

    assert.equal(task.status, 'SUCCEEDED', JSON.stringify(task.error));
    assert.ok(task.attempts >= 3, `invocations: ${task.attempts}`);
    assert.equal(task.resume, undefined);
    // An invocation may stop before its first byte (a cold start eats the second): look past it.
    const first = paused.find((t) => (t.resume?.blobs[0]?.offset ?? 0) > 0);
    assert.ok(first, `a paused record with bytes committed: ${JSON.stringify(paused.map((t) => t.resume))}`);
    const saved = first.resume!.blobs[0]!;
    assert.equal(saved.digest, layerDigest);
    assert.ok(saved.offset > 0 && saved.offset < SIZE, `offset ${saved.offset}`);
    assert.ok(saved.location.startsWith(dstProxy.url), saved.location);
    assert.equal(first.status, 'PENDING');
    assert.ok(first.progress && first.progress.bytesDone >= saved.offset && first.progress.bytesTotal >= SIZE, JSON.stringify(first.progress));
    // Ranged reads of the source continued each resumed upload.
    assert.ok(srcProxy.requests.filter((r) => r.fault === 'throttle').length >= 3);

    assert.equal((await getManifest(dst, 'resume/plain', 'v1'))?.digest, digest);
    assert.ok((await getBlob(dst, 'resume/plain', layerDigest)).equals(layer));
    const sent = dstProxy.bytesReceived - before;
    assert.ok(sent <= 1.1 * SIZE, `destination received ${sent} bytes for a ${SIZE}-byte layer`);
  });

  test('a destination that forgot the upload session between invocations: only that blob starts over', async () => {
    srcProxy.clearFaults();
    srcProxy.addFault({ method: 'GET', path: BLOB_GET, times: Infinity, action: { kind: 'throttle', bytesPerSecond: RATE } });
    dstProxy.clearFaults();
    const before = dstProxy.bytesReceived;
    const { taskId, layer, digest, layerDigest } = await sync('resume/forgotten');
    // A real forget, of a session holding bytes: once a sixteenth of the layer has arrived, the
    // proxy DELETEs the session at the registry just before the next invocation's look at it
    // (the GET after a pause's own offset check), and the registry answers for itself that it no
    // longer knows it. An invocation ends with PATCH then that check; the next begins with a GET.
    let armed = false;
    const arm = (task: Task) => {
      if (!armed && dstProxy.bytesReceived - before >= SIZE / 16) {
        armed = true;
        const last = dstProxy.requests.filter((r) => r.path.includes('/blobs/uploads/')).slice(-2).map((r) => r.method).join(' ');
        dstProxy.addFault({ method: 'GET', path: /\/blobs\/uploads\//, after: last === 'PATCH GET' ? 0 : 1, times: 1, action: { kind: 'forget-upload' } });
      }
      return finished(task);
    };
    const task = await watch(taskId, arm);

    assert.equal(task.status, 'SUCCEEDED', JSON.stringify(task.error));
    const forgets = dstProxy.requests.filter((r) => r.fault === 'forget-upload');
    assert.equal(forgets.length, 1);
    assert.equal((await getManifest(dst, 'resume/forgotten', 'v1'))?.digest, digest);
    assert.ok((await getBlob(dst, 'resume/forgotten', layerDigest)).equals(layer));
    // What had arrived when the session was dropped (the config blob's few hundred bytes and the
    // session's committed bytes) is sent again, and nothing more.
    const lost = forgets[0]!.bytesBefore! - before;
    const sent = dstProxy.bytesReceived - before;
    assert.ok(lost >= SIZE / 16, `the session dropped held ${lost} bytes`);
    assert.ok(sent <= 1.1 * SIZE + lost, `destination received ${sent} bytes; ${lost} were lost with the session`);
    assert.ok(sent >= SIZE + lost, `destination received ${sent} bytes: the first ${lost} must have been sent twice`);
  });

  test('a source whose bytes after the resume point are corrupt: nothing committed, FAILED with DIGEST_MISMATCH', async () => {
    srcProxy.clearFaults();
    dstProxy.clearFaults();
    // Ranged reads only (the resumed ones), before the throttle that the first read gets.
    srcProxy.addFault({ method: 'GET', path: BLOB_GET, header: 'range', times: Infinity, action: { kind: 'corrupt-body', atByte: 4096 } });
    srcProxy.addFault({ method: 'GET', path: BLOB_GET, times: Infinity, action: { kind: 'throttle', bytesPerSecond: RATE } });
    const { taskId, layerDigest } = await sync('resume/corrupt');
    const task = await watch(taskId, finished);

    assert.equal(task.status, 'FAILED');
    assert.equal(task.error?.code, 'DIGEST_MISMATCH', task.error?.message);
    assert.ok(srcProxy.requests.some((r) => r.fault === 'corrupt-body'));
    assert.equal(await hasBlob(dst, 'resume/corrupt', layerDigest), false);
    assert.equal(await getManifest(dst, 'resume/corrupt', 'v1'), undefined);
  });
});
