/**
 * The links page: the link store, each link's running and queued tasks from its shared slot
 * state, and the P95 per hour or day from the task records, read once for every link and
 * bounded (shared/tasks/link-samples.ts), as `GET /links/:id/stats` reads them.
 */
import { Hono } from 'hono';
import { z } from 'zod';
import type { LinkOccupancyReader } from '../../shared/links/link-occupancy.ts';
import { linkStats, linkStatsOverTime } from '../../shared/links/link-stats.ts';
import type { LinkStore } from '../../shared/links/link-store.ts';
import type { Logger } from '../../shared/log.ts';
import { readLinkSamples } from '../../shared/tasks/link-samples.ts';
import type { TaskStore } from '../../shared/tasks/task-store.ts';
import { zodProblems } from '../http/errors.ts';
import type { ConsoleEnv } from './guard.ts';
import { Problems, type Nav } from './layout.tsx';
import { LINK_WINDOWS, LinksPage, type LinkView, type LinkWindow } from './links-page.tsx';
import { render } from './render.tsx';

export interface ConsoleLinksDeps {
  links: LinkStore;
  linkSlots?: LinkOccupancyReader;
  taskStore: TaskStore;
  logger: Logger;
  now?: () => Date;
  nav: Nav;
}

const Query = z.object({
  window: z.preprocess((v) => (v === '' ? undefined : v), z.enum(Object.keys(LINK_WINDOWS) as [LinkWindow, ...LinkWindow[]]).default('24h')),
});

export function linkRoutes(deps: ConsoleLinksDeps) {
  const page = { title: 'Links', current: '/ui/links', nav: deps.nav };
  return new Hono<ConsoleEnv>().get('/links', async (c) => {
    const query = Query.safeParse(c.req.query());
    if (!query.success) return render(c, { ...page, status: 400, body: <><Problems title="The query is not valid" problems={zodProblems(query.error)} /><p><a href="/ui/links">Links</a></p></> });
    const window = query.data.window;
    const w = LINK_WINDOWS[window];
    const until = (deps.now ?? (() => new Date()))();
    const since = new Date(until.getTime() - w.ms);
    const [links, samples] = await Promise.all([deps.links.list(), readLinkSamples(deps.taskStore, since, until)]);
    const views: LinkView[] = await Promise.all(links.map(async (link): Promise<LinkView> => {
      const tracked = link.maxBandwidth !== undefined || link.maxConcurrentTasks !== undefined;
      let occupancy;
      if (tracked && deps.linkSlots) {
        try {
          occupancy = await deps.linkSlots.occupancy(link.id);
        } catch (error) {
          // The page still shows the link and its figures; "unknown" stands where the counts would.
          deps.logger.warn('link occupancy unavailable', { link_id: link.id, error: error instanceof Error ? error.message : String(error) });
        }
      }
      const linkSamples = samples.byLink.get(link.id) ?? [];
      return { link, ...(occupancy ? { occupancy } : {}), stats: linkStats(linkSamples), overTime: linkStatsOverTime(linkSamples, since, until, w.bucketMs) };
    }));
    views.sort((a, b) => a.link.name.localeCompare(b.link.name));
    return render(c, { ...page, body: <LinksPage views={views} window={window} recordsRead={samples.recordsRead} truncated={samples.truncated} now={until} /> });
  });
}
