/**
 * `/links` (issue 13): create, list, get, replace, delete, and `GET /links/:id/stats`. A link's
 * registries must be declared, and so must every target of its route (by host:port): an API
 * caller cannot aim the workers at a host the operator did not name.
 */
import { randomUUID } from 'node:crypto';
import { Hono, type Context } from 'hono';
import { z } from 'zod';
import { InvalidInputError } from '../../shared/errors.ts';
import { Link, LinkInput, linkProblems, routeTargets } from '../../shared/links/link.ts';
import { linkStats } from '../../shared/links/link-stats.ts';
import { LinkNotFoundError, type LinkStore } from '../../shared/links/link-store.ts';
import type { Logger } from '../../shared/log.ts';
import { undeclaredProblems } from '../../shared/oci/egress-policy.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { routeProblems } from '../../shared/oci/route.ts';
import { readLinkSamples } from '../../shared/tasks/link-samples.ts';
import type { TaskStore } from '../../shared/tasks/task-store.ts';
import { readJson, readQuery } from '../http/body.ts';

export interface LinksRoutesDeps {
  links: LinkStore;
  taskStore: TaskStore;
  pool: RegistryPool;
  logger: Logger;
  now?: () => Date;
}

const WINDOW_UNITS = { m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

const StatsQuery = z.strictObject({
  window: z.string().regex(/^[1-9]\d{0,3}[mhd]$/, 'a duration like 15m, 24h or 7d').default('24h')
    .refine((w) => Number(w.slice(0, -1)) * WINDOW_UNITS[w.slice(-1) as keyof typeof WINDOW_UNITS] <= 31 * 86_400_000, 'at most 31d'),
});

async function validLinkInput(c: Context, pool: RegistryPool): Promise<LinkInput> {
  const input = await readJson(c, LinkInput);
  const declared = pool.egress?.declared;
  const problems = [
    ...linkProblems(input),
    ...undeclaredProblems(declared, [['sourceRegistry', input.sourceRegistry], ['destinationRegistry', input.destinationRegistry]]),
  ];
  if (declared) {
    for (const [field, authority] of routeTargets(input.route)) {
      problems.push(...routeProblems(declared, { addresses: { [field]: authority } }).map((problem) => `${field}: ${problem}`));
    }
  }
  if (problems.length > 0) throw new InvalidInputError('LINK_INVALID', problems);
  return input;
}

export function linksRoutes(deps: LinksRoutesDeps) {
  const now = () => (deps.now ?? (() => new Date()))();
  const mustGet = async (id: string): Promise<Link> => {
    const link = await deps.links.get(id);
    if (!link) throw new LinkNotFoundError(id);
    return link;
  };

  return new Hono()
    .post('/', async (c) => {
      const input = await validLinkInput(c, deps.pool);
      const at = now().toISOString();
      const link = Link.parse({ ...input, id: randomUUID(), createdAt: at, updatedAt: at });
      await deps.links.put(link);
      deps.logger.info('link created', { link_id: link.id, source: link.sourceRegistry, destination: link.destinationRegistry });
      return c.json(link, 201);
    })
    .get('/', async (c) => c.json({ items: await deps.links.list() }))
    .get('/:id', async (c) => c.json(await mustGet(c.req.param('id'))))
    .put('/:id', async (c) => {
      const existing = await mustGet(c.req.param('id'));
      const input = await validLinkInput(c, deps.pool);
      const link = Link.parse({ ...input, id: existing.id, createdAt: existing.createdAt, updatedAt: now().toISOString() });
      await deps.links.put(link);
      return c.json(link);
    })
    .delete('/:id', async (c) => {
      if (!(await deps.links.delete(c.req.param('id')))) throw new LinkNotFoundError(c.req.param('id'));
      return c.body(null, 204);
    })
    .get('/:id/stats', async (c) => {
      const link = await mustGet(c.req.param('id'));
      const { window } = readQuery(c, StatsQuery);
      const until = now();
      const since = new Date(until.getTime() - Number(window.slice(0, -1)) * WINDOW_UNITS[window.slice(-1) as keyof typeof WINDOW_UNITS]);
      // Every record created in the window is read (the index cannot tell the link), up to a bound.
      const read = await readLinkSamples(deps.taskStore, since, until);
      return c.json({
        link: { id: link.id, name: link.name, type: link.type },
        window,
        since: since.toISOString(),
        until: until.toISOString(),
        ...linkStats(read.byLink.get(link.id) ?? []),
        recordsRead: read.recordsRead,
        truncated: read.truncated,
      });
    });
}
