import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createLinkGate } from '../../../shared/links/link-gate.ts';
import type { LinkSession } from '../../../shared/links/link-session.ts';
import { decideSlot, EMPTY_STATE, joinState, releaseLease, renewLease, RENEW_MS, type LinkSlots, type SlotState } from '../../../shared/links/link-slots.ts';
import type { Link } from '../../../shared/links/link.ts';
import { silentLogger } from '../../../shared/log.ts';
import type { PaceClock } from '../../../shared/links/token-bucket.ts';

// Tasks joining and leaving a capped link, in virtual time: every sleep (pacing, renewals, the
// join's reads) goes through one clock that moves only when nothing else can run, so the bytes
// each task lets go can be timed exactly. The shared state is held in memory here, under the same
// rules (decideSlot, renewLease, joinState) as the DynamoDB adapter; the adapter's own readiness
// answers are tested against dynalite in link-slots.test.ts.

class VirtualClock implements PaceClock {
  t = 0;
  #waiters: Array<{ at: number; resolve: () => void }> = [];
  now = () => this.t;
  sleep = (ms: number) => new Promise<void>((resolve) => void this.#waiters.push({ at: this.t + ms, resolve }));

  /** Lets everything due run, in time order, until `end`. */
  async runUntil(end: number): Promise<void> {
    for (;;) {
      await new Promise((resolve) => setImmediate(resolve));
      this.#waiters.sort((a, b) => a.at - b.at);
      const next = this.#waiters[0];
      if (next === undefined || next.at > end) {
        this.t = end;
        return;
      }
      this.#waiters.shift();
      this.t = Math.max(this.t, next.at);
      next.resolve();
    }
  }
}

class MemorySlots implements LinkSlots {
  state: SlotState = EMPTY_STATE;
  constructor(private readonly now: () => number) {}
  async acquire(request: Parameters<LinkSlots['acquire']>[0]) {
    const { answer, next } = decideSlot(this.state, request, this.now());
    this.state = next;
    return answer;
  }
  async renew(linkId: string, taskId: string, owner: string) {
    const { running, next } = renewLease(this.state, taskId, owner, this.now());
    this.state = next;
    return running;
  }
  async joined(_linkId: string, taskId: string, owner: string) {
    return joinState(this.state, taskId, owner, this.now());
  }
  async release(_linkId: string, taskId: string, owner: string) {
    this.state = releaseLease(this.state, taskId, owner, this.now());
  }
}

const CAP = 1_000_000;
const CHUNK = 10_000;
const at = new Date(0).toISOString();
const link: Link = { id: 'join', name: 'join', type: 'accelerated', sourceRegistry: 'a.example', destinationRegistry: 'b.example', maxBandwidth: CAP, maxConcurrentTasks: 4, enabled: true, createdAt: at, updatedAt: at };

interface Sent { task: string; at: number; bytes: number }

async function simulate(): Promise<{ sent: Sent[]; joins: Map<string, number>; ends: Map<string, number> }> {
  const clock = new VirtualClock();
  const slots = new MemorySlots(clock.now);
  const gate = createLinkGate({ links: { list: async () => [link] }, slots, logger: silentLogger, clock, now: clock.now });
  const sent: Sent[] = [];
  const joins = new Map<string, number>();
  const ends = new Map<string, number>();
  const sessions = new Map<string, LinkSession>();
  const senders: Promise<void>[] = [];

  const join = async (task: string) => {
    joins.set(task, clock.t);
    const entry = await gate.enter(link, task);
    assert.equal(entry.kind, 'run');
    const session = (entry as { session: LinkSession }).session;
    sessions.set(task, session);
    senders.push((async () => {
      // A copy that streams without a pause: every chunk waits for its pace, then goes.
      while (!ends.has(task)) {
        await session.pace(CHUNK);
        if (!ends.has(task)) sent.push({ task, at: clock.t, bytes: CHUNK });
      }
    })());
  };
  const end = async (task: string) => {
    ends.set(task, clock.t);
    await sessions.get(task)!.stop();
  };

  // The four join within 150 ms of each other, as they do when a queue fills a link.
  await join('a');
  await clock.runUntil(50);
  await join('b');
  await clock.runUntil(100);
  await join('c');
  await clock.runUntil(150);
  await join('d');
  await clock.runUntil(4_000);
  await end('d');
  await clock.runUntil(7_000);
  for (const task of ['a', 'b', 'c']) void end(task);
  await clock.runUntil(7_000 + 2 * RENEW_MS);
  await Promise.all(senders);
  return { sent, joins, ends };
}

const bytesIn = (sent: Sent[], from: number, to: number, task?: string) =>
  sent.filter((s) => s.at >= from && s.at < to && (task === undefined || s.task === task)).reduce((sum, s) => sum + s.bytes, 0);

describe('a capped link while tasks join and end (virtual time)', () => {
  test('the link never carries more than its cap in any second, the first second after the joins included', async () => {
    const { sent } = await simulate();
    let worst = { from: 0, bytes: 0 };
    for (let from = 0; from <= 6_000; from += 10) {
      const bytes = bytesIn(sent, from, from + 1_000);
      if (bytes > worst.bytes) worst = { from, bytes };
    }
    // One chunk per task may straddle a window's edge.
    assert.ok(worst.bytes <= CAP + 4 * CHUNK, `${worst.bytes} bytes in the second from ${worst.from} ms, against a cap of ${CAP}`);
  });

  test('a task that joins waits about one renewal for the others to slow down, then all four pace at a quarter', async () => {
    const { sent, joins } = await simulate();
    for (const task of ['b', 'c', 'd']) {
      const first = sent.find((s) => s.task === task)!.at;
      const waited = first - joins.get(task)!;
      assert.ok(waited > 0 && waited <= 1.5 * RENEW_MS, `${task} sent its first byte ${waited} ms after it joined`);
    }
    for (const task of ['a', 'b', 'c', 'd']) {
      const rate = bytesIn(sent, 2_000, 4_000, task) / 2;
      assert.ok(Math.abs(rate / (CAP / 4) - 1) <= 0.05, `${task}: ${rate} B/s against a share of ${CAP / 4}`);
    }
  });

  test('when one ends, the others take its share within about a second', async () => {
    const { sent, ends } = await simulate();
    const ended = ends.get('d')!;
    assert.equal(bytesIn(sent, ended, ended + 5_000, 'd'), 0);
    // By the next renewal each of the three paces at a third: measured over the second after it.
    for (const task of ['a', 'b', 'c']) {
      const rate = bytesIn(sent, ended + 1.2 * RENEW_MS, ended + 2.2 * RENEW_MS, task);
      assert.ok(Math.abs(rate / (CAP / 3) - 1) <= 0.05, `${task}: ${rate} B/s a second after d ended, against a share of ${Math.round(CAP / 3)}`);
    }
    const aggregate = bytesIn(sent, ended + 1.2 * RENEW_MS, ended + 2.2 * RENEW_MS);
    assert.ok(aggregate >= CAP * 0.95 && aggregate <= CAP + 3 * CHUNK, `aggregate ${aggregate} B/s after d ended`);
  });
});
