/**
 * The samples a link's statistics are computed from (shared/links/link-stats.ts): succeeded tasks
 * that ran on a link, with their copy time once they had a slot. The byTime index cannot tell
 * the link, so every record created in the window is read, newest first, up to `maxRecords`: the
 * cost of an answer stays bounded, and `truncated` says the oldest part of the window is missing.
 * One pass serves every link at once (the console's links page).
 */
import type { TimedSample } from '../links/link-stats.ts';
import type { TaskStore } from './task-store.ts';

/** Records read for one answer at most (pages of 500). */
export const STATS_MAX_RECORDS = 5_000;
const STATS_PAGE = 500;

export interface LinkSamples {
  /** Per link id (`default` for the default path), newest first. */
  byLink: Map<string, TimedSample[]>;
  recordsRead: number;
  /** More records were created in the window than were read. */
  truncated: boolean;
}

export async function readLinkSamples(taskStore: TaskStore, since: Date, until: Date, maxRecords = STATS_MAX_RECORDS): Promise<LinkSamples> {
  const byLink = new Map<string, TimedSample[]>();
  let read = 0;
  let cursor: string | undefined;
  do {
    const page = await taskStore.list({ since: since.toISOString(), until: until.toISOString() }, Math.min(STATS_PAGE, maxRecords - read), cursor);
    read += page.items.length;
    for (const task of page.items) {
      if (!task.link || task.status !== 'SUCCEEDED' || task.transferMs === undefined || !task.result || !task.finishedAt) continue;
      const samples = byLink.get(task.link.id) ?? [];
      samples.push({ transferMs: task.transferMs, queuedMs: task.queuedMs ?? 0, bytes: task.result.bytes, finishedAt: task.finishedAt });
      byLink.set(task.link.id, samples);
    }
    cursor = page.cursor;
  } while (cursor && read < maxRecords);
  return { byLink, recordsRead: read, truncated: cursor !== undefined };
}
