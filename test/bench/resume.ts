/**
 * One large layer copied through the local runtime with a Lambda-like invocation limit, so that
 * it takes several invocations each resuming the upload where the last one stopped.
 *
 *   npm run bench:resume -- --mib 1024 --invocation-seconds 5 [--rate-mib 0] [--forget-at 0.5]
 *
 * Loopback only: two Distribution registries, the destination behind a proxy that counts every
 * request body byte it receives (bytesSentRatio = those bytes / the layer's size), the embedded
 * DynamoDB and SQS. `--rate-mib` slows the source to that many MiB/s (0: as fast as it goes).
 * `verified`: the destination's blob read back whole hashes to the layer's digest, and the tag
 * resolves to the source's manifest digest. Progress to stderr; stdout gets ONE JSON line.
 *
 * `--forget-at F` (0 < F < 1): once the destination has received F of the layer, it forgets the
 * upload session once, for real: at the next invocation's look at the saved session, the proxy
 * first sends DELETE for that upload's URL to the registry, which drops it and answers 404
 * BLOB_UPLOAD_UNKNOWN itself (nothing scripted). Only that blob starts over, so the expected
 * bytesSentRatio is about 1 + the fraction sent before the forget (`forgotAtRatio` in the line,
 * a little past F: the session is dropped at the pause after F is crossed). `forgot` says
 * whether the forget happened.
 */
import { createHash, randomFillSync } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { loadLocalConfig } from '../../infra/local/config.ts';
import { startLocalRuntime } from '../../infra/local/runtime.ts';
import { silentLogger } from '../../shared/log.ts';
import { startFaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, getManifest, pushImage } from '../support/images.ts';
import { startRegistries } from '../support/registry.ts';

const MiB = 1024 * 1024;
const note = (message: string) => process.stderr.write(`bench:resume: ${message}\n`);

const { values } = parseArgs({ options: { mib: { type: 'string', default: '1024' }, 'invocation-seconds': { type: 'string', default: '5' }, 'rate-mib': { type: 'string', default: '0' }, 'forget-at': { type: 'string' } } });
const mib = Number(values.mib);
const invocationSeconds = Number(values['invocation-seconds']);
const rateMib = Number(values['rate-mib']);
const forgetAt = values['forget-at'] === undefined ? undefined : Number(values['forget-at']);
if (!Number.isInteger(mib) || mib < 1 || !(invocationSeconds >= 0.5) || !(rateMib >= 0) || (forgetAt !== undefined && !(forgetAt > 0 && forgetAt < 1))) {
  process.stderr.write('bench:resume: --mib must be a positive integer, --invocation-seconds at least 0.5, --rate-mib 0 or more, --forget-at between 0 and 1\n');
  process.exit(2);
}
const size = mib * MiB;

const dir = await mkdtemp(join(tmpdir(), 'crossdock-bench-resume-'));
const [src, dst] = (await startRegistries(2, { name: 'bench-resume' })) as [Awaited<ReturnType<typeof startRegistries>>[0], Awaited<ReturnType<typeof startRegistries>>[0]];
const [srcProxy, dstProxy] = await Promise.all([startFaultProxy(src.url), startFaultProxy(dst.url)]);
let runtime: Awaited<ReturnType<typeof startLocalRuntime>> | undefined;
let code = 1;
try {
  note(`seeding a ${mib} MiB layer`);
  const layer = Buffer.allocUnsafe(size);
  for (let at = 0; at < size; at += 64 * MiB) randomFillSync(layer, at, Math.min(64 * MiB, size - at));
  const layerDigest = `sha256:${createHash('sha256').update(layer).digest('hex')}`;
  const pushed = await pushImage(src, 'bench/resume', { tag: 'v1', layers: 0, sharedLayers: [layer] });
  if (rateMib > 0) srcProxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, action: { kind: 'throttle', bytesPerSecond: rateMib * MiB } });

  const config = await loadLocalConfig(undefined, {}, dir);
  runtime = await startLocalRuntime({
    ...config,
    listen: { host: '127.0.0.1', port: 0 },
    apiKeys: ['bench-resume'],
    registries: { [srcProxy.host]: {}, [dstProxy.host]: {} },
    worker: { ...config.worker, invocationSeconds, concurrency: 1 },
  }, {}, silentLogger);

  const started = Date.now();
  const res = await fetch(`${runtime.url}/sync`, {
    method: 'POST',
    headers: { authorization: 'Bearer bench-resume', 'content-type': 'application/json' },
    body: JSON.stringify({ source: `${srcProxy.host}/bench/resume:v1`, destinations: [`${dstProxy.host}/bench/resume`] }),
  });
  if (res.status !== 202) throw new Error(`POST /sync answered ${res.status}: ${await res.text()}`);
  const taskId = ((await res.json()) as { tasks: Array<{ id: string }> }).tasks[0]!.id;
  let task = await runtime.service.taskStore.get(taskId);
  let shown = '';
  let armed = false;
  while (!task || !['SUCCEEDED', 'FAILED', 'SKIPPED'].includes(task.status)) {
    await new Promise((r) => setTimeout(r, 200));
    task = await runtime.service.taskStore.get(taskId);
    if (forgetAt !== undefined && !armed && dstProxy.bytesReceived >= forgetAt * size) {
      // Each invocation ends with PATCH then GET of the session (the pause's offset check) and
      // the next begins with a GET (its look at the saved session): the forget goes to that one.
      // Right after a pause's check, it is the next GET; otherwise the pause's own comes first.
      armed = true;
      const uploads = dstProxy.requests.filter((r) => r.path.includes('/blobs/uploads/')).slice(-2).map((r) => r.method);
      const afterPause = uploads.join(' ') === 'PATCH GET';
      dstProxy.addFault({ method: 'GET', path: /\/blobs\/uploads\//, after: afterPause ? 0 : 1, times: 1, action: { kind: 'forget-upload' } });
      note(`forget armed at ${dstProxy.bytesReceived} bytes received (${afterPause ? 'between invocations' : 'during one'})`);
    }
    const line = `${task?.status} attempts=${task?.attempts} pauses=${task?.resume?.pauses ?? '-'} offset=${task?.resume?.blobs[0]?.offset ?? '-'}`;
    if (line !== shown) note((shown = line));
  }
  const seconds = (Date.now() - started) / 1000;

  note('verifying at the destination');
  const blob = await fetch(`${dst.url}/v2/bench/resume/blobs/${layerDigest}`);
  const hash = createHash('sha256');
  for await (const chunk of blob.body as unknown as AsyncIterable<Uint8Array>) hash.update(chunk);
  const verified = task.status === 'SUCCEEDED' && `sha256:${hash.digest('hex')}` === layerDigest && (await getManifest(dst, 'bench/resume', 'v1'))?.digest === pushed.digest;
  const forget = dstProxy.requests.find((r) => r.fault === 'forget-upload');
  process.stdout.write(JSON.stringify({
    ...(forgetAt !== undefined ? { forgot: forget !== undefined, forgetAt, ...(forget?.bytesBefore !== undefined ? { forgotAtRatio: Math.round((forget.bytesBefore / size) * 1000) / 1000 } : {}) } : {}),
    invocations: task.attempts,
    bytesSentRatio: Math.round((dstProxy.bytesReceived / size) * 1000) / 1000,
    seconds: Math.round(seconds * 10) / 10,
    verified,
    mib,
    invocationSeconds,
    status: task.status,
    ...(task.error ? { error: task.error.code } : {}),
  }) + '\n');
  code = verified ? 0 : 1;
} finally {
  await runtime?.stop();
  await Promise.all([srcProxy.close(), dstProxy.close()]);
  await Promise.all([src.close(), dst.close()]);
  await closeRegistryClients();
  await rm(dir, { recursive: true, force: true });
}
process.exit(code);
