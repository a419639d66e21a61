import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DynamoDbLinkSlots } from '../../../shared/links/dynamodb-link-slots.ts';
import { LinkSlotLostError, startLinkSession } from '../../../shared/links/link-session.ts';
import { LEASE_MS, WAITING_TTL_MS } from '../../../shared/links/link-slots.ts';
import { silentLogger } from '../../../shared/log.ts';
import { TokenBucket, type PaceClock } from '../../../shared/links/token-bucket.ts';
import { startLocalAws, type LocalAws } from '../../support/aws.ts';

describe('link slots in the shared table (a clock injected)', () => {
  let aws: LocalAws;
  let now = 1_000_000;
  let slots: DynamoDbLinkSlots;
  let other: DynamoDbLinkSlots;

  before(async () => {
    aws = await startLocalAws();
    // Two instances on one table: two workers.
    slots = new DynamoDbLinkSlots({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, now: () => now });
    other = new DynamoDbLinkSlots({ client: aws.clients.dynamodb, tableName: aws.tables.tasks, now: () => now });
  });
  after(() => aws?.close());

  test('a task that dies holding a slot gives it back when its lease ends, not before', async () => {
    assert.deepEqual(await slots.acquire({ linkId: 'dies', taskId: 'a', owner: 'a1', maxConcurrentTasks: 1 }), { granted: true, running: 1 });
    const waiting = await other.acquire({ linkId: 'dies', taskId: 'b', owner: 'b1', maxConcurrentTasks: 1 });
    assert.deepEqual(waiting, { granted: false, running: 1, why: 'queued', position: 1, arrivedAt: now });
    now += LEASE_MS - 1;
    assert.equal((await other.acquire({ linkId: 'dies', taskId: 'b', owner: 'b1', maxConcurrentTasks: 1 })).granted, false);
    now += 2;
    // `a` never renewed (its worker died): its slot is `b`'s, and `b` keeps its arrival time.
    assert.deepEqual(await other.acquire({ linkId: 'dies', taskId: 'b', owner: 'b1', maxConcurrentTasks: 1 }), { granted: true, running: 1, arrivedAt: 1_000_000 });
  });

  test('a starved holder whose lease ran out does not take its slot back: the link never runs more than its limit', async () => {
    assert.equal((await slots.acquire({ linkId: 'starved', taskId: 'a', owner: 'a1', maxConcurrentTasks: 1 })).granted, true);
    now += LEASE_MS + 1;
    // `a`'s worker was starved past its lease: the slot is free, and `b` takes it.
    assert.deepEqual(await other.acquire({ linkId: 'starved', taskId: 'b', owner: 'b1', maxConcurrentTasks: 1 }), { granted: true, running: 1 });
    // `a` renews late: it is told it lost the slot, and the link still counts one task running.
    assert.equal(await slots.renew('starved', 'a', 'a1'), 'lost');
    assert.equal(await other.renew('starved', 'b', 'b1'), 1);
  });

  test('a session whose lease is lost stops its transfer at the next chunk', async () => {
    assert.equal((await slots.acquire({ linkId: 'fenced', taskId: 'a', owner: 'a1', maxConcurrentTasks: 1 })).granted, true);
    const session = startLinkSession({ slots, linkId: 'fenced', taskId: 'a', owner: 'a1', running: 1, logger: silentLogger, renewMs: 5 });
    await session.pace(1024);
    now += LEASE_MS + 1;
    assert.equal((await other.acquire({ linkId: 'fenced', taskId: 'b', owner: 'b1', maxConcurrentTasks: 1 })).granted, true);
    const deadline = Date.now() + 10_000;
    let stopped: unknown;
    while (stopped === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 10));
      stopped = await session.pace(1024).then(() => undefined, (error: unknown) => error);
    }
    assert.ok(stopped instanceof LinkSlotLostError, String(stopped));
    assert.equal((stopped as LinkSlotLostError).code, 'LINK_SLOT_LOST');
    await session.stop();
    assert.equal(await other.renew('fenced', 'b', 'b1'), 1, 'the stop of a lost session frees nothing of the new holder');
  });

  test('a task that joins running ones is ready once each of them has renewed since (a read, no write)', async () => {
    assert.equal((await slots.acquire({ linkId: 'join', taskId: 'a', owner: 'a1', maxConcurrentTasks: 4 })).granted, true);
    assert.deepEqual(await slots.joined('join', 'a', 'a1'), { ready: true, running: 1 });
    assert.deepEqual(await other.acquire({ linkId: 'join', taskId: 'b', owner: 'b1', maxConcurrentTasks: 4 }), { granted: true, running: 2 });
    assert.deepEqual(await other.joined('join', 'b', 'b1'), { ready: false, running: 2 }, 'a still paces at the whole cap');
    assert.deepEqual(await slots.acquire({ linkId: 'join', taskId: 'c', owner: 'c1', maxConcurrentTasks: 4 }), { granted: true, running: 3 });
    assert.equal(await slots.renew('join', 'a', 'a1'), 3);
    assert.deepEqual(await other.joined('join', 'b', 'b1'), { ready: true, running: 3 }, 'c came after b: it counts b already');
    assert.deepEqual(await slots.joined('join', 'c', 'c1'), { ready: false, running: 3 }, 'b has not renewed since c joined');
    assert.equal(await other.renew('join', 'b', 'b1'), 3);
    assert.deepEqual(await slots.joined('join', 'c', 'c1'), { ready: true, running: 3 });
    assert.equal(await other.joined('join', 'c', 'someone-else'), 'lost');
    now += LEASE_MS + 1;
    assert.equal(await slots.joined('join', 'c', 'c1'), 'lost');
  });

  test('a duplicate delivery of a running task neither takes a second slot nor frees the first', async () => {
    assert.equal((await slots.acquire({ linkId: 'dup', taskId: 'a', owner: 'first', maxConcurrentTasks: 2 })).granted, true);
    assert.deepEqual(await other.acquire({ linkId: 'dup', taskId: 'a', owner: 'second', maxConcurrentTasks: 2 }), { granted: false, running: 1, why: 'held' });
    await other.release('dup', 'a', 'second');
    assert.equal(await slots.renew('dup', 'a', 'first'), 1);
    assert.equal((await other.acquire({ linkId: 'dup', taskId: 'b', owner: 'b', maxConcurrentTasks: 2 })).granted, true);
    assert.equal(await slots.renew('dup', 'a', 'first'), 2, 'two run: each paces at half the cap');
  });

  test('waiting tasks start strictly in arrival order; one that stops asking loses its place', async () => {
    assert.equal((await slots.acquire({ linkId: 'order', taskId: 'run', owner: 'r', maxConcurrentTasks: 1 })).granted, true);
    const first = await slots.acquire({ linkId: 'order', taskId: 'w1', owner: 'w1', maxConcurrentTasks: 1 });
    now += 10;
    const second = await other.acquire({ linkId: 'order', taskId: 'w2', owner: 'w2', maxConcurrentTasks: 1 });
    assert.equal(first.granted === false && first.why === 'queued' && first.position, 1);
    assert.equal(second.granted === false && second.why === 'queued' && second.position, 2);
    await slots.release('order', 'run', 'r');
    // The second asks first once the slot is free: it still waits for the first.
    const early = await other.acquire({ linkId: 'order', taskId: 'w2', owner: 'w2', maxConcurrentTasks: 1 });
    assert.equal(early.granted, false);
    assert.equal((await slots.acquire({ linkId: 'order', taskId: 'w1', owner: 'w1', maxConcurrentTasks: 1 })).granted, true);
    await slots.release('order', 'w1', 'w1');
    // w2 stopped asking (its task was deleted): after the waiting TTL, w3 does not wait for it.
    now += WAITING_TTL_MS + 1;
    assert.equal((await other.acquire({ linkId: 'order', taskId: 'w3', owner: 'w3', maxConcurrentTasks: 1 })).granted, true);
  });

  test('concurrent acquisitions from two instances never exceed the limit', async () => {
    const answers = await Promise.all(Array.from({ length: 12 }, (_, i) => (i % 2 ? slots : other).acquire({ linkId: 'race', taskId: `t${i}`, owner: `o${i}`, maxConcurrentTasks: 3 })));
    assert.equal(answers.filter((a) => a.granted).length, 3);
    const positions = answers.flatMap((a) => (!a.granted && a.why === 'queued' ? [a.position] : [])).sort((a, b) => a - b);
    assert.deepEqual(positions, [1, 2, 3, 4, 5, 6, 7, 8, 9]);
  });
});

describe('the token bucket (a clock injected)', () => {
  const fakeClock = (): PaceClock & { t: number } => {
    const clock = { t: 0, now: () => clock.t, sleep: async (ms: number) => void (clock.t += ms) };
    return clock;
  };

  test('paces bytes at its rate whatever the chunk size, and follows a rate change', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100_000, clock);
    for (let i = 0; i < 10; i++) await bucket.take(65_536);
    assert.ok(Math.abs(clock.t - 6_553.6) < 1, `${clock.t} ms for 655,360 bytes at 100,000 B/s`);
    bucket.setRate(50_000);
    const before = clock.t;
    for (let i = 0; i < 50; i++) await bucket.take(1_000);
    assert.ok(Math.abs(clock.t - before - 1_000) < 1, `${clock.t - before} ms for 50,000 bytes at 50,000 B/s`);
  });

  test('a late wake-up is made up (up to half a second), so a busy event loop loses no rate', async () => {
    const clock = fakeClock();
    const bucket = new TokenBucket(100_000, clock);
    await bucket.take(10_000);
    clock.t += 300; // the event loop was busy elsewhere
    const before = clock.t;
    await bucket.take(30_000);
    assert.equal(clock.t, before, 'the 30,000 bytes earned while late go at once');
  });
});
