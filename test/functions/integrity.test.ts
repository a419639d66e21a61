import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, listTags, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

// Issue 8: a manifest changed in transit once reached the destination tag with a task recorded
// SUCCEEDED and `digestPreserved: true`. Distribution never corrupts its own answers: the
// scripted fault proxy in front of the real source registry changes one byte.

let src: TestRegistry;
let dst: TestRegistry;
let proxy: FaultProxy;
let h: Harness;

describe('a manifest changed in transit, through the pipeline', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'integrity-src' }), startRegistry({ name: 'integrity-dst' })]);
    proxy = await startFaultProxy(src.url);
    h = await startHarness({ declare: [proxy.host, dst.host], retryPolicy: { attempts: 2, baseDelayMs: 1, maxDelayMs: 2, maxRetryAfterMs: 100 } });
  });

  after(async () => {
    await h?.close();
    await proxy?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('the task ends FAILED with DIGEST_MISMATCH at once, and the destination has no tag', async () => {
    const pushed = await pushImage(src, 'team/tampered', { tag: 'v1', seed: 'integrity-pipeline' });
    // One byte inside a layer's mediaType: the manifest still parses and names blobs that exist.
    const atByte = pushed.bytes.indexOf('layer.v1') + 2;
    proxy.addFault({ method: 'GET', path: /\/manifests\//, times: Infinity, action: { kind: 'corrupt-body', atByte } });

    const sync = await h.api('POST', '/sync', { source: `${proxy.host}/team/tampered:v1`, destinations: [`${dst.host}/mirror/tampered`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));
    const drained = await h.drain();

    const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(record.status, 'FAILED', JSON.stringify(record));
    assert.equal(record.error.code, 'DIGEST_MISMATCH');
    // Permanent: recorded on its first receive, not redelivered until the dead-letter queue.
    assert.equal(record.attempts, 1, JSON.stringify(record));
    assert.equal(drained.failed, 0);
    assert.deepEqual(await listTags(dst, 'mirror/tampered'), []);
  });
});
