/**
 * How busy a link is right now, read from its shared slot state (link-slots.ts): tasks holding a
 * live lease run, tasks seen waiting recently are queued. A link with neither a cap nor a limit
 * of running tasks keeps no slots (its tasks never wait), so it has nothing to read.
 */
import { liveState, type SlotState } from './link-slots.ts';

export interface LinkOccupancy {
  running: number;
  queued: number;
}

/** Read-only: the console's links page asks, the workers never do. */
export interface LinkOccupancyReader {
  occupancy(linkId: string): Promise<LinkOccupancy>;
}

export function occupancyOf(state: SlotState, now: number): LinkOccupancy {
  const live = liveState(state, now);
  return { running: Object.keys(live.leases).length, queued: Object.keys(live.waiting).length };
}
