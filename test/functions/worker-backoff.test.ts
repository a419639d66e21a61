/**
 * A destination down for 20 s, then back. Retries come back after an exponential backoff (the
 * worker hides the message with ChangeMessageVisibility and records nextAttemptAt) instead of
 * after the queue's visibility timeout, which is 120 s here: without the backoff the task could
 * not succeed within 60 s of the destination's return. The outage is the fault proxy answering
 * 503 (a real registry does not go down on cue). Two runners: Lambda-shaped events through the
 * SQS handler, and the local runtime's poller.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createSqsHandler } from '../../functions/worker/sqs-handler.ts';
import { startPoller } from '../../infra/local/poller.ts';
import { CopyEngine } from '../../shared/oci/copy.ts';
import { RegistryDirectory } from '../../shared/oci/registry-directory.ts';
import { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { silentLogger } from '../../shared/log.ts';
import { SqsQueue } from '../../shared/queue/sqs-queue.ts';
import { createWorker } from '../../shared/tasks/worker.ts';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, getManifest, pushImage } from '../support/images.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

const OUTAGE_MS = 20_000;
const VISIBILITY_TIMEOUT_S = 120;
const REDELIVERY = { baseMs: 1_000, maxMs: 4_000 };
// Room for the ~10 attempts of a 20 s outage and then some: the embedded queue counts only
// receives, as AWS does (test/infra/aws/embedded-sqs.test.ts).
const MAX_RECEIVE_COUNT = 40;

let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let down: FaultProxy;

async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs: number): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Runs the outage against one task while `run` processes the queue; returns what was seen. */
async function outage(repository: string, run: () => { stop(): Promise<void> }) {
  const pushed = await pushImage(src, `team/${repository}`, { tag: 'v1', seed: repository });
  down.addFault({ method: 'PUT', path: /\/manifests\//, times: Infinity, action: { kind: 'status', status: 503 } });
  const sync = await h.api('POST', '/sync', { source: `${src.host}/team/${repository}:v1`, destinations: [`${down.host}/${repository}/app`] });
  assert.equal(sync.status, 202, JSON.stringify(sync.body));
  const id: string = sync.body.tasks[0].id;
  const runner = run();
  try {
    const waiting = await waitFor('a retry waiting with nextAttemptAt', async () => {
      const record = (await h.api('GET', `/tasks/${id}`)).body;
      return record.status === 'PENDING' && record.nextAttemptAt ? record : undefined;
    }, OUTAGE_MS);
    await new Promise((r) => setTimeout(r, OUTAGE_MS));
    down.clearFaults();
    const returned = Date.now();
    const done = await waitFor('the task to finish', async () => {
      const record = (await h.api('GET', `/tasks/${id}`)).body;
      return record.status === 'PENDING' || record.status === 'RUNNING' ? undefined : record;
    }, 90_000);
    return { waiting, done, returned, digest: pushed.digest };
  } finally {
    down.clearFaults();
    await runner.stop();
  }
}

describe('a destination down for 20 s, then back', () => {
  before(async () => {
    [src, dst] = await Promise.all([startRegistry({ name: 'backoff-src' }), startRegistry({ name: 'backoff-dst' })]);
    down = await startFaultProxy(dst.url);
    h = await startHarness({
      declare: [src.host, down.host],
      maxReceiveCount: MAX_RECEIVE_COUNT,
      visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_S,
      redelivery: REDELIVERY,
      retryPolicy: { attempts: 1, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1000 },
    });
  });

  after(async () => {
    await h?.close();
    await down?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  const check = (seen: Awaited<ReturnType<typeof outage>>, repository: string) => async () => {
    assert.equal(seen.waiting.error.code, 'REGISTRY_UNAVAILABLE');
    const wait = Date.parse(seen.waiting.nextAttemptAt) - Date.parse(seen.waiting.updatedAt);
    assert.ok(wait > 0 && wait <= REDELIVERY.maxMs + 1_000, `nextAttemptAt ${wait} ms after the failure`);
    assert.equal(seen.done.status, 'SUCCEEDED', JSON.stringify(seen.done));
    assert.ok(Date.parse(seen.done.finishedAt) - seen.returned < 60_000, 'succeeded within 60 s of the return');
    assert.ok(seen.done.attempts > 2, 'retried during the outage');
    assert.equal(seen.done.nextAttemptAt, undefined);
    assert.equal((await getManifest(dst, `${repository}/app`, 'v1'))?.digest, seen.digest);
  };

  test('through the SQS handler, as Lambda runs it: SUCCEEDED soon after the return, nextAttemptAt shown while waiting', async () => {
    const seen = await outage('lambda', () => {
      let running = true;
      const loop = (async () => {
        while (running) await h.drain({ idleMs: 500, maxMs: 5_000 });
      })();
      return { stop: async () => { running = false; await loop; } };
    });
    await check(seen, 'lambda')();
  });

  test('through the local runtime\'s poller: the same', async () => {
    const pool = new RegistryPool({ directory: new RegistryDirectory({}), logger: silentLogger, retryPolicy: { attempts: 1, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1000 } });
    const engine = new CopyEngine({ pool, logger: silentLogger });
    const queue = new SqsQueue(h.aws.clients.sqs, h.aws.queueUrl, silentLogger);
    const worker = createWorker({ taskStore: h.taskStore, engine, logger: silentLogger, queue, redelivery: REDELIVERY, maxReceiveCount: MAX_RECEIVE_COUNT });
    try {
      const seen = await outage('local', () => {
        const poller = startPoller({ sqs: h.aws.clients.sqs, queueUrl: h.aws.queueUrl, handler: createSqsHandler(worker), concurrency: 1, batchSize: 10, visibilityTimeoutSeconds: VISIBILITY_TIMEOUT_S, logger: silentLogger });
        return { stop: () => poller.stop(5_000) };
      });
      await check(seen, 'local')();
    } finally {
      await engine.close();
    }
  });
});
