/**
 * Before a task is claimed: the link between its registries, and whether it may start on it now.
 * A task that must wait is recorded QUEUED with its place in line, and its message is sent again
 * hidden for a few seconds, the received one acknowledged: waiting holds no worker (no Lambda
 * time burnt) and does not count against the message's receives (which lead to the dead-letter
 * queue). Tasks between registries no link joins run on the default path, uncapped.
 */
import type { Logger } from '../log.ts';
import type { LinkGate } from '../links/link-gate.ts';
import type { LinkSession } from '../links/link-session.ts';
import { DEFAULT_PATH, linkRef, type LinkRef } from '../links/link.ts';
import type { CopyEngine } from '../oci/copy.ts';
import type { Queue, TaskMessage } from '../queue/queue.ts';
import { FINISHED } from './task.ts';
import type { TaskStore } from './task-store.ts';

export interface Admitted {
  admitted: true;
  link: LinkRef;
  session?: LinkSession;
  /** A custom link's routed engine; absent: the worker's own. */
  engine?: CopyEngine;
}

/** Not admitted now: `done` acknowledges the message (queued, sent again); otherwise it is handed back. */
export type Deferred = { admitted: false; done: boolean };

export interface AdmissionDeps {
  store: TaskStore;
  links: LinkGate;
  queue?: Queue;
  now: () => Date;
}

export async function admitTask(deps: AdmissionDeps, message: TaskMessage, log: Logger): Promise<Admitted | Deferred> {
  if (!(await deps.links.any())) return { admitted: true, link: DEFAULT_PATH };
  const task = await deps.store.get(message.taskId);
  // Gone or finished: the claim says what to do with the message. A RUNNING task is admitted too:
  // its worker may have died (the claim then takes it over), and it must not run uncapped.
  if (!task || (FINISHED.has(task.status) && !(task.status === 'FAILED' && task.deadLettered))) return { admitted: true, link: DEFAULT_PATH };
  const link = await deps.links.linkFor(task.source.registry, task.destination.registry);
  if (!link) return { admitted: true, link: DEFAULT_PATH };
  const engine = deps.links.engineFor(link);
  const entry = await deps.links.enter(link, task.id);
  if (entry.kind === 'run') return { admitted: true, link: linkRef(link), ...(entry.session ? { session: entry.session } : {}), ...(engine ? { engine } : {}) };
  if (entry.kind === 'held') {
    log.info('task not claimed', { why: 'running', link_id: link.id });
    return { admitted: false, done: false };
  }
  const queued = await deps.store.markQueued(task.id, entry.position, new Date(entry.arrivedAt), deps.now());
  if (!queued) return { admitted: false, done: false };
  const { failed } = deps.queue ? await deps.queue.send([message], { delaySeconds: deps.links.queuedDelaySeconds }) : { failed: [task.id] };
  log.info('task queued', { link_id: link.id, position: entry.position, resent: failed.length === 0 });
  // Not sent again: hand the received message back; it returns after the visibility timeout.
  return { admitted: false, done: failed.length === 0 };
}
