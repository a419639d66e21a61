/**
 * The running tasks of a link, shared by every worker (issue 13): each running task holds a lease
 * (renewed about every second, gone when it ends or its worker dies), and tasks that found every
 * slot taken wait in arrival order. Every worker reads the same state from the shared store, so
 * the number of running tasks (what a task's share of the cap divides by) and the queue are the
 * fleet's, not a process's. `DynamoDbLinkSlots` is the adapter; `decideSlot` is the rule.
 */
import { z } from 'zod';

/**
 * A lease not renewed for this long is over: its slot is free again (a dead worker's task). Many
 * renewals long, so that a worker slowed down (a loaded machine, a throttled table) keeps its slot.
 */
export const LEASE_MS = 15_000;
/** How often a running task renews its lease and learns how many tasks share the link. */
export const RENEW_MS = 1_000;
/**
 * A waiting task not seen for this long left the queue (deleted, finished elsewhere, its message
 * lost): the tasks behind it move up. A waiting task's message returns every few seconds.
 */
export const WAITING_TTL_MS = 15_000;

export const SlotState = z.strictObject({
  /**
   * `since` numbers the grant of each lease (from `grants`); `seen` is the last grant its holder
   * had counted at its latest renewal, that is the share it paces at now: a task that joins moves
   * no byte before every other holder has seen it, so the link never carries more than its cap
   * while the old holders still pace at their larger share (see `joinState`).
   */
  leases: z.record(z.string(), z.strictObject({ owner: z.string(), expiresAt: z.number(), since: z.number().int().default(0), seen: z.number().int().default(0) })),
  /** `seq` orders arrivals exactly (the order their writes won), even within one millisecond. */
  waiting: z.record(z.string(), z.strictObject({ arrivedAt: z.number(), seenAt: z.number(), seq: z.number().int() })),
  /** The next arrival's `seq`. */
  seq: z.number().int().nonnegative().default(0),
  /** Slots granted so far: the latest lease's `since`. */
  grants: z.number().int().nonnegative().default(0),
});
export type SlotState = z.infer<typeof SlotState>;

export const EMPTY_STATE: SlotState = { leases: {}, waiting: {}, seq: 0, grants: 0 };

export interface SlotRequest {
  linkId: string;
  taskId: string;
  /** This attempt's token: a duplicate delivery of a running task never takes or frees its slot. */
  owner: string;
  /** Absent: no limit (the lease still counts the task in the link's share). */
  maxConcurrentTasks?: number;
}

export type JoinAnswer = { ready: boolean; running: number } | 'lost';

export type SlotAnswer =
  | { granted: true; running: number; arrivedAt?: number }
  | { granted: false; running: number; why: 'queued'; position: number; arrivedAt: number }
  | { granted: false; running: number; why: 'held' };

export interface LinkSlots {
  acquire(request: SlotRequest): Promise<SlotAnswer>;
  /**
   * Extends the lease; the link's running tasks, this one included. 'lost' when the lease ran out
   * meanwhile (a starved worker): its slot may be another task's now, so it is not taken back.
   */
  renew(linkId: string, taskId: string, owner: string): Promise<number | 'lost'>;
  /**
   * Whether a task granted its slot while others ran may send its first byte: every other holder
   * has renewed since, and paces at the share that counts it. Only reads the shared state.
   */
  joined(linkId: string, taskId: string, owner: string): Promise<JoinAnswer>;
  release(linkId: string, taskId: string, owner: string): Promise<void>;
}

/** Leases and waiting entries still alive at `now`. */
export function liveState(state: SlotState, now: number): SlotState {
  return {
    leases: Object.fromEntries(Object.entries(state.leases).filter(([, lease]) => lease.expiresAt > now)),
    waiting: Object.fromEntries(Object.entries(state.waiting).filter(([, entry]) => entry.seenAt > now - WAITING_TTL_MS)),
    seq: state.seq,
    grants: state.grants,
  };
}

/**
 * A task may start when fewer than `maxConcurrentTasks` run and no task that arrived before it
 * still waits: tasks start strictly in arrival order. Otherwise it waits, keeping its first
 * arrival time.
 */
export function decideSlot(state: SlotState, request: SlotRequest, now: number): { answer: SlotAnswer; next: SlotState } {
  const live = liveState(state, now);
  const running = Object.keys(live.leases).length;
  const own = live.leases[request.taskId];
  if (own !== undefined) {
    if (own.owner !== request.owner) return { answer: { granted: false, running, why: 'held' }, next: live };
    return { answer: { granted: true, running }, next: { ...live, leases: { ...live.leases, [request.taskId]: { ...own, expiresAt: now + LEASE_MS } } } };
  }
  const known = live.waiting[request.taskId];
  const arrivedAt = known?.arrivedAt ?? now;
  const seq = known?.seq ?? live.seq;
  const ahead = Object.entries(live.waiting).filter(([id, entry]) => id !== request.taskId && entry.seq < seq).length;
  const max = request.maxConcurrentTasks ?? Number.POSITIVE_INFINITY;
  if (running < max && ahead === 0) {
    const { [request.taskId]: _left, ...waiting } = live.waiting;
    const grants = live.grants + 1;
    const leases = { ...live.leases, [request.taskId]: { owner: request.owner, expiresAt: now + LEASE_MS, since: grants, seen: grants } };
    const queued = live.waiting[request.taskId] !== undefined;
    return { answer: { granted: true, running: running + 1, ...(queued ? { arrivedAt } : {}) }, next: { leases, waiting, seq: live.seq, grants } };
  }
  return {
    answer: { granted: false, running, why: 'queued', position: ahead + 1, arrivedAt },
    next: { ...live, waiting: { ...live.waiting, [request.taskId]: { arrivedAt, seenAt: now, seq } }, seq: known ? live.seq : live.seq + 1 },
  };
}

export function renewLease(state: SlotState, taskId: string, owner: string, now: number): { running: number | 'lost'; next: SlotState } {
  const live = liveState(state, now);
  const held = live.leases[taskId];
  // The lease ran out before this renewal: the slot was free to give, and taking it back could
  // put one task more on the link than it allows. The holder stops and its task tries again.
  if (held === undefined) return { running: 'lost', next: live };
  // Another attempt holds it: that one runs; this one's share still counts it once.
  if (held !== undefined && held.owner !== owner) return { running: Object.keys(live.leases).length, next: live };
  // The running count returned includes every grant so far: the holder has seen them all.
  const leases = { ...live.leases, [taskId]: { ...held, expiresAt: now + LEASE_MS, seen: live.grants } };
  return { running: Object.keys(leases).length, next: { ...live, leases } };
}

/**
 * A task granted its slot while others ran waits until each of them has renewed since (about
 * RENEW_MS): until then they pace at their old, larger share, and its bytes would go over the
 * cap. Holders granted after it count it already (their `seen` starts at their own grant).
 */
export function joinState(state: SlotState, taskId: string, owner: string, now: number): JoinAnswer {
  const live = liveState(state, now);
  const own = live.leases[taskId];
  if (own === undefined || own.owner !== owner) return 'lost';
  const ready = Object.entries(live.leases).every(([id, lease]) => id === taskId || lease.seen >= own.since);
  return { ready, running: Object.keys(live.leases).length };
}

export function releaseLease(state: SlotState, taskId: string, owner: string, now: number): SlotState {
  const live = liveState(state, now);
  if (live.leases[taskId]?.owner !== owner) return live;
  const { [taskId]: _gone, ...leases } = live.leases;
  return { ...live, leases };
}
