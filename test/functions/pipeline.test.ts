import assert from 'node:assert/strict';
import { GetQueueAttributesCommand, ListMessageMoveTasksCommand, ReceiveMessageCommand, SendMessageCommand, StartMessageMoveTaskCommand } from '@aws-sdk/client-sqs';
import { after, before, describe, test } from 'node:test';
import { startFaultProxy, type FaultProxy } from '../support/fault-proxy.ts';
import { closeRegistryClients, getManifest, pushImage } from '../support/images.ts';
import { freePort } from '../support/ports.ts';
import { startRegistry, type TestRegistry } from '../support/registry.ts';
import { startHarness, type Harness } from './harness.ts';

const TOKEN = 'Bearer lab-webhook-token';
let h: Harness;
let src: TestRegistry;
let dst: TestRegistry;
let flaky: FaultProxy;
let ruleId: string;

async function until<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 15_000): Promise<T> {
  const started = Date.now();
  for (;;) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() - started > timeoutMs) assert.fail(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

async function tasksOfRule(): Promise<any[]> {
  return (await h.api('GET', `/tasks?rule=${ruleId}&limit=200`)).body.items;
}

const webhooksReceived = () => h.logs.filter((l) => l.includes('"message":"webhook received"')).length;

describe('push → webhook → rules → queue → worker → replicated image and record', () => {
  before(async () => {
    const webhookPort = await freePort();
    src = await startRegistry({ name: 'pipeline-src', notify: { url: `http://127.0.0.1:${webhookPort}/webhooks/distribution`, headers: { Authorization: [TOKEN] } } });
    dst = await startRegistry({ name: 'pipeline-dst' });
    flaky = await startFaultProxy(dst.url);
    h = await startHarness({
      webhookPort,
      sources: { distribution: { provider: 'distribution', auth: { kind: 'header', header: 'authorization', value: TOKEN }, registry: src.host } },
      declare: [dst.host, flaky.host],
      maxReceiveCount: 3,
      retryPolicy: { attempts: 2, baseDelayMs: 10, maxDelayMs: 20, maxRetryAfterMs: 1000 },
    });
    const created = await h.api('POST', '/rules', {
      name: 'team to mirror',
      source: { registry: src.host, namespace: 'team' },
      tagPattern: 'v[0-9]+',
      destinations: [{ registry: dst.host, namespace: 'mirror' }],
      overwrite: false,
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    ruleId = created.body.id;
  });

  after(async () => {
    await h?.close();
    await flaky?.close();
    await Promise.all([src?.close(), dst?.close()]);
    await closeRegistryClients();
  });

  test('a push to the source registry is replicated with the same digest and recorded SUCCEEDED', async () => {
    const pushed = await pushImage(src, 'team/app', { tag: 'v1', seed: 'pipeline-v1' });

    const [task] = await until('the task of the push', async () => ((await tasksOfRule()).length > 0 ? tasksOfRule() : undefined));
    assert.equal(task.status, 'PENDING');
    await h.drain();

    assert.equal((await getManifest(dst, 'mirror/app', 'v1'))?.digest, pushed.digest);
    const record = (await h.api('GET', `/tasks/${task.id}`)).body;
    assert.equal(record.status, 'SUCCEEDED');
    assert.equal(record.result.digest, pushed.digest);
    assert.equal(record.result.sourceDigest, pushed.digest);
    assert.ok(record.result.bytes > 0 && record.durationMs >= 0 && record.attempts === 1);
    assert.deepEqual(record.destination, { registry: dst.host, repository: 'mirror/app', tag: 'v1' });
  });

  test('a tag the rule\'s pattern does not match creates no task', async () => {
    const seen = webhooksReceived();
    const before = (await tasksOfRule()).length;
    await pushImage(src, 'team/app', { tag: 'latest', seed: 'pipeline-latest' });
    await until('the webhook of the push', async () => (webhooksReceived() > seen ? true : undefined));
    assert.equal((await tasksOfRule()).length, before);
    assert.equal(await getManifest(dst, 'mirror/app', 'latest'), undefined);
  });

  test('the same delivery twice creates one task and one message', async () => {
    const pushed = await pushImage(src, 'team/dup', { tag: 'v1', seed: 'dup' });
    await until('the push task', async () => ((await tasksOfRule()).some((t) => t.source.repository === 'team/dup') ? true : undefined));
    await h.drain();
    const delivery = JSON.stringify({ events: [{ id: 'event-dup-1', timestamp: '2026-11-22T10:00:00Z', action: 'push', target: { mediaType: pushed.mediaType, digest: pushed.digest, size: pushed.size, repository: 'team/dup', tag: 'v2', url: `http://${src.host}/v2/team/dup/manifests/${pushed.digest}` }, request: { host: src.host } }] });
    const post = () => fetch(`${h.webhookUrl}/webhooks/distribution`, { method: 'POST', headers: { authorization: TOKEN, 'content-type': 'application/vnd.docker.distribution.events.v1+json' }, body: delivery });

    const first = await post();
    const second = await post();

    assert.equal(first.status, 202);
    assert.equal(second.status, 202);
    const [a, b] = [await first.json() as any, await second.json() as any];
    assert.equal(a.tasks.length, 1);
    assert.deepEqual(b.tasks, [{ id: a.tasks[0].id, created: false }]);
    assert.equal(a.tasks[0].created, true);
    const { processed } = await h.drain();
    assert.equal(processed, 1, 'one message for the two deliveries');
    assert.equal((await getManifest(dst, 'mirror/dup', 'v2'))?.digest, pushed.digest);
  });

  test('overwrite off and a different image at the destination: SKIPPED with the reason, destination unchanged', async () => {
    const theirs = await pushImage(dst, 'mirror/kept', { tag: 'v3', seed: 'already-there' });
    await pushImage(src, 'team/kept', { tag: 'v3', seed: 'new-at-source' });
    const task = await until('the push task', async () => (await tasksOfRule()).find((t) => t.source.repository === 'team/kept'));
    await h.drain();
    const record = (await h.api('GET', `/tasks/${task.id}`)).body;
    assert.equal(record.status, 'SKIPPED');
    assert.match(record.result.reason, new RegExp(`holds ${theirs.digest}.*overwrite is off`));
    assert.equal((await getManifest(dst, 'mirror/kept', 'v3'))?.digest, theirs.digest);
  });

  test('a destination answering 503 for a while: the task is retried and succeeds', async () => {
    const pushed = await pushImage(src, 'team/flaky', { tag: 'v1', seed: 'flaky' });
    flaky.addFault({ method: 'PUT', path: /\/manifests\//, times: 2, action: { kind: 'status', status: 503 } });
    const sync = await h.api('POST', '/sync', { source: `${src.host}/team/flaky:v1`, destinations: [`${flaky.host}/flaky/app`] });
    assert.equal(sync.status, 202, JSON.stringify(sync.body));

    await h.drain({ idleMs: 3000 });

    const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
    assert.equal(record.status, 'SUCCEEDED', JSON.stringify(record));
    assert.equal(record.attempts, 2);
    assert.equal((await getManifest(dst, 'flaky/app', 'v1'))?.digest, pushed.digest);
  });

  test('a destination that stays down: FAILED with a code after the last receive, message in the DLQ', async () => {
    await pushImage(src, 'team/down', { tag: 'v1', seed: 'down' });
    flaky.addFault({ method: 'PUT', path: /\/manifests\//, times: Infinity, action: { kind: 'status', status: 503 } });
    try {
      const sync = await h.api('POST', '/sync', { source: `${src.host}/team/down:v1`, destinations: [`${flaky.host}/down/app`] });
      await h.drain({ idleMs: 3000 });

      const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
      assert.equal(record.status, 'FAILED');
      assert.equal(record.error.code, 'REGISTRY_UNAVAILABLE');
      assert.match(record.error.message, /registry answered 503/);
      assert.equal(record.attempts, 3);
      const dlq = await h.aws.clients.sqs.send(new ReceiveMessageCommand({ QueueUrl: h.aws.dlqUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
      assert.deepEqual((dlq.Messages ?? []).map((m) => JSON.parse(m.Body!).taskId), [sync.body.tasks[0].id]);
      assert.equal(await getManifest(dst, 'down/app', 'v1'), undefined);
    } finally {
      flaky.clearFaults();
    }
  });

  async function failedTask(repository: string): Promise<{ id: string; digest: string }> {
    const pushed = await pushImage(src, `team/${repository}`, { tag: 'v1', seed: repository });
    flaky.addFault({ method: 'PUT', path: /\/manifests\//, times: Infinity, action: { kind: 'status', status: 503 } });
    try {
      const sync = await h.api('POST', '/sync', { source: `${src.host}/team/${repository}:v1`, destinations: [`${flaky.host}/${repository}/app`] });
      assert.equal(sync.status, 202);
      await h.drain({ idleMs: 3000 });
      const record = (await h.api('GET', `/tasks/${sync.body.tasks[0].id}`)).body;
      assert.equal(record.status, 'FAILED');
      assert.equal(record.deadLettered, true);
      return { id: sync.body.tasks[0].id, digest: pushed.digest };
    } finally {
      flaky.clearFaults();
    }
  }

  const queueArn = async (url: string) => (await h.aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: url, AttributeNames: ['QueueArn'] }))).Attributes!.QueueArn!;

  test('a FAILED task redriven from the dead-letter queue runs again and SUCCEEDS; a duplicate of that message does not run it a third time', async () => {
    const { id, digest } = await failedTask('redrive');
    const [dlqArn, mainArn] = [await queueArn(h.aws.dlqUrl), await queueArn(h.aws.queueUrl)];

    await h.aws.clients.sqs.send(new StartMessageMoveTaskCommand({ SourceArn: dlqArn, DestinationArn: mainArn }));
    await until('the redrive to finish', async () => {
      const { Results: moves = [] } = await h.aws.clients.sqs.send(new ListMessageMoveTasksCommand({ SourceArn: dlqArn }));
      return moves.every((m) => m.Status === 'COMPLETED') ? true : undefined;
    });
    await h.drain();

    const record = (await h.api('GET', `/tasks/${id}`)).body;
    assert.equal(record.status, 'SUCCEEDED', JSON.stringify(record));
    assert.equal(record.generation, 1);
    assert.equal(record.attempts, 4, 'three receives before the DLQ, one after the redrive');
    assert.equal(record.deadLettered, undefined);
    assert.equal((await getManifest(dst, 'redrive/app', 'v1'))?.digest, digest);

    await h.aws.clients.sqs.send(new SendMessageCommand({ QueueUrl: h.aws.queueUrl, MessageBody: JSON.stringify({ taskId: id }) }));
    await h.drain();
    assert.equal((await h.api('GET', `/tasks/${id}`)).body.attempts, 4, 'a duplicate of the old generation is acknowledged');
  });

  test('POST /tasks/:id/retry runs a FAILED task again now: 202, then SUCCEEDED; 409 while unfinished, 404 unknown', async () => {
    const { id, digest } = await failedTask('retry');
    await pushImage(src, 'team/waiting', { tag: 'v1', seed: 'waiting' });
    const pending = await h.api('POST', '/sync', { source: `${src.host}/team/waiting:v1`, destinations: [`${dst.host}/waiting/app`] });

    const conflict = await h.api('POST', `/tasks/${pending.body.tasks[0].id}/retry`);
    const unknown = await h.api('POST', `/tasks/${'0'.repeat(32)}/retry`);
    const retried = await h.api('POST', `/tasks/${id}/retry`);
    await h.drain();

    assert.equal(conflict.status, 409);
    assert.equal(conflict.body.error.code, 'TASK_CONFLICT');
    assert.equal(unknown.status, 404);
    assert.equal(unknown.body.error.code, 'TASK_NOT_FOUND');
    assert.equal(retried.status, 202);
    assert.deepEqual([retried.body.status, retried.body.generation], ['PENDING', 1]);
    const record = (await h.api('GET', `/tasks/${id}`)).body;
    assert.equal(record.status, 'SUCCEEDED', JSON.stringify(record));
    assert.equal((await getManifest(dst, 'retry/app', 'v1'))?.digest, digest);
    assert.equal((await h.api('GET', `/tasks/${pending.body.tasks[0].id}`)).body.status, 'SUCCEEDED');
  });

  test('nothing is left in the queue', async () => {
    const attributes = await h.aws.clients.sqs.send(new GetQueueAttributesCommand({ QueueUrl: h.aws.queueUrl, AttributeNames: ['ApproximateNumberOfMessages'] }));
    assert.equal(attributes.Attributes?.ApproximateNumberOfMessages, '0');
  });
});
