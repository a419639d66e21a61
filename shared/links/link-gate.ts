/**
 * What a worker asks about links when a task runs: which link joins the task's registries (the
 * link list is read from the store and cached for a few seconds), and whether the task may start
 * on it now (a slot and a share of the cap) or must wait its turn. Tasks are resolved to links
 * when they run, not when they are created, so a link added or changed applies to tasks already
 * queued.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from '../log.ts';
import type { CopyEngine } from '../oci/copy.ts';
import { pairKey, type Link } from './link.ts';
import type { LinkSlots } from './link-slots.ts';
import type { LinkStore } from './link-store.ts';
import { startLinkSession, type LinkSession } from './link-session.ts';
import type { PaceClock } from './token-bucket.ts';

export const DEFAULT_LINK_CACHE_MS = 5_000;

export interface LinkGateOptions {
  links: Pick<LinkStore, 'list'>;
  slots: LinkSlots;
  logger: Logger;
  /** The copy engine for a custom link's route; absent: every link uses the worker's engine. */
  engineFor?: (link: Link) => CopyEngine;
  cacheMs?: number;
  /** How long a queued task's message stays hidden before it asks again. */
  queuedDelaySeconds?: number;
  clock?: PaceClock;
  renewMs?: number;
  now?: () => number;
}

export type Entry =
  | { kind: 'run'; session?: LinkSession }
  | { kind: 'queued'; position: number; arrivedAt: number }
  /** Another attempt of this task holds its slot (a duplicate delivery). */
  | { kind: 'held' };

export interface LinkGate {
  readonly queuedDelaySeconds: number;
  /** Whether any link is enabled: without one, tasks need no look at their record first. */
  any(): Promise<boolean>;
  /** The enabled link joining the two registries, if any. */
  linkFor(sourceRegistry: string, destinationRegistry: string): Promise<Link | undefined>;
  enter(link: Link, taskId: string): Promise<Entry>;
  engineFor(link: Link): CopyEngine | undefined;
}

export function createLinkGate(options: LinkGateOptions): LinkGate {
  const now = options.now ?? Date.now;
  const cacheMs = options.cacheMs ?? DEFAULT_LINK_CACHE_MS;
  let cached: { at: number; byPair: Map<string, Link> } | undefined;

  const byPair = async (): Promise<Map<string, Link>> => {
    if (cached && now() - cached.at < cacheMs) return cached.byPair;
    const links = await options.links.list();
    cached = { at: now(), byPair: new Map(links.filter((l) => l.enabled).map((l) => [pairKey(l.sourceRegistry, l.destinationRegistry), l])) };
    return cached.byPair;
  };

  return {
    queuedDelaySeconds: options.queuedDelaySeconds ?? 3,
    async any() {
      return (await byPair()).size > 0;
    },
    async linkFor(sourceRegistry, destinationRegistry) {
      return (await byPair()).get(pairKey(sourceRegistry, destinationRegistry));
    },
    async enter(link, taskId) {
      if (link.maxBandwidth === undefined && link.maxConcurrentTasks === undefined) return { kind: 'run' };
      const owner = randomUUID();
      const answer = await options.slots.acquire({ linkId: link.id, taskId, owner, ...(link.maxConcurrentTasks !== undefined ? { maxConcurrentTasks: link.maxConcurrentTasks } : {}) });
      if (!answer.granted) return answer.why === 'held' ? { kind: 'held' } : { kind: 'queued', position: answer.position, arrivedAt: answer.arrivedAt };
      const session = startLinkSession({
        slots: options.slots,
        linkId: link.id,
        taskId,
        owner,
        running: answer.running,
        logger: options.logger,
        ...(link.maxBandwidth !== undefined ? { maxBandwidth: link.maxBandwidth } : {}),
        ...(options.clock ? { clock: options.clock } : {}),
        ...(options.renewMs ? { renewMs: options.renewMs } : {}),
      });
      return { kind: 'run', session };
    },
    engineFor(link) {
      return link.type === 'custom' && link.route ? options.engineFor?.(link) : undefined;
    },
  };
}
