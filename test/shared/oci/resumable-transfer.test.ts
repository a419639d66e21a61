import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import { startUpload, uploadStatus, cancelUpload } from '../../../shared/oci/blobs.ts';
import { TransferLedger, TransferPausedError } from '../../../shared/oci/blob-progress.ts';
import type { CopyEngine } from '../../../shared/oci/copy.ts';
import { RegistryClient } from '../../../shared/oci/client.ts';
import type { FaultProxy } from '../../support/fault-proxy.ts';
import { getBlob, pushImage, sha256Digest } from '../../support/images.ts';
import type { TestRegistry } from '../../support/registry.ts';
import { closeSuite, createClosers, createEngine, ref, startProxiedPair } from './fixtures.ts';

// The engine with a transfer ledger, between real registries: the source slowed by a proxy so
// that a stop time falls mid-blob, then the same blob resumed in a second copy (as the next
// invocation would).

const MiB = 1024 * 1024;
const SIZE = 16 * MiB;
const closers = createClosers();
let src: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
let dstProxy: FaultProxy;
let engine: CopyEngine;

before(async () => {
  ({ src, dst, proxy, dstProxy } = await startProxiedPair('resumable', closers));
  engine = createEngine({});
  closers.add(() => engine.close());
});

after(() => closeSuite(closers));

async function pausedCopy(repository: string): Promise<{ layer: Buffer; ledger: TransferLedger }> {
  const layer = randomBytes(SIZE);
  await pushImage(src, repository, { tag: 'v1', layers: 0, sharedLayers: [layer] });
  proxy.clearFaults();
  proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, times: Infinity, action: { kind: 'throttle', bytesPerSecond: 8 * MiB } });
  const ledger = new TransferLedger({ stopAt: Date.now() + 600_000 });
  // Stopped by bytes rather than by time: a loaded machine makes no byte late.
  let seen = 0;
  const onBytes = (n: number) => {
    if ((seen += n) >= 2 * MiB) ledger.stop();
  };
  await assert.rejects(engine.copyImage(ref(proxy.host, repository, 'v1'), ref(dstProxy.host, repository), { ledger, onBytes }), TransferPausedError);
  await ledger.settled();
  ledger.close();
  return { layer, ledger };
}

describe('a resumable blob transfer', () => {
  test('stops at the stop time with the committed offset, and a source ignoring Range is skipped to it', async () => {
    const { layer, ledger } = await pausedCopy('resumable/no-range');
    const [saved] = ledger.progress();
    assert.ok(saved && saved.offset > 0 && saved.offset < SIZE, JSON.stringify(saved));
    const client = new RegistryClient(dstProxy.host, {});
    closers.add(() => client.close());
    assert.equal((await uploadStatus(client, 'resumable/no-range', saved.location, saved.offset))?.offset, saved.offset);

    proxy.clearFaults();
    proxy.addFault({ method: 'GET', path: /\/blobs\/sha256:/, header: 'range', action: { kind: 'ignore-range' } });
    const next = new TransferLedger({ saved: ledger.progress(), stopAt: Date.now() + 600_000 });
    const bytesBefore = dstProxy.bytesReceived;
    const result = await engine.copyImage(ref(proxy.host, 'resumable/no-range', 'v1'), ref(dstProxy.host, 'resumable/no-range'), { ledger: next });
    next.close();

    assert.equal(result.status, 'copied');
    assert.ok(proxy.requests.some((r) => r.fault === 'ignore-range'), 'the resumed read asked for a range and got the whole blob');
    assert.ok((await getBlob(dst, 'resumable/no-range', sha256Digest(layer))).equals(layer));
    const sent = dstProxy.bytesReceived - bytesBefore;
    assert.ok(sent < SIZE - saved.offset + 64 * 1024, `second copy sent ${sent} bytes; ${SIZE - saved.offset} remained`);
  });

  test('a saved session the destination forgot is started over, and the blob still arrives whole', async () => {
    const { layer, ledger } = await pausedCopy('resumable/forgotten');
    const [saved] = ledger.progress();
    assert.ok(saved);
    // A real Distribution forgets a cancelled upload: GET on it answers 404 BLOB_UPLOAD_UNKNOWN.
    const client = new RegistryClient(dstProxy.host, {});
    closers.add(() => client.close());
    await cancelUpload(client, 'resumable/forgotten', { location: saved.location, minChunkLength: undefined });
    assert.equal(await uploadStatus(client, 'resumable/forgotten', saved.location, saved.offset), undefined);

    proxy.clearFaults();
    const next = new TransferLedger({ saved: ledger.progress(), stopAt: Date.now() + 600_000 });
    const result = await engine.copyImage(ref(proxy.host, 'resumable/forgotten', 'v1'), ref(dstProxy.host, 'resumable/forgotten'), { ledger: next });
    next.close();
    assert.equal(result.status, 'copied');
    assert.ok((await getBlob(dst, 'resumable/forgotten', sha256Digest(layer))).equals(layer));
  });

  test('a fresh upload session reports offset 0', async () => {
    const client = new RegistryClient(dst.host, {});
    closers.add(() => client.close());
    const start = await startUpload(client, 'resumable/status');
    assert.equal(start.kind, 'session');
    if (start.kind !== 'session') return;
    assert.equal((await uploadStatus(client, 'resumable/status', start.location, 0))?.offset, 0);
  });
});
