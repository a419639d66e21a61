/** `POST /sync`: replicate one image now, to one or more destinations (renamed if wanted). */
import { Hono } from 'hono';
import { z } from 'zod';
import { grantProblems } from '../../shared/cloud/grant-check.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import { undeclaredProblems } from '../../shared/oci/egress-policy.ts';
import { parsePlatforms } from '../../shared/oci/platform-filter.ts';
import { parseReference, type Reference } from '../../shared/oci/reference.ts';
import type { RegistryPool } from '../../shared/oci/registry-pool.ts';
import { enqueueTasks, type EnqueueDeps } from '../../shared/tasks/enqueue.ts';
import { readJson } from '../http/body.ts';

export const SyncRequest = z.strictObject({
  /** `registry/repository:tag` or `…@sha256:…`. */
  source: z.string().min(1),
  /** `registry/repository[:tag]` each; the tag defaults to the source's. */
  destinations: z.array(z.string().min(1)).min(1).max(20),
  overwrite: z.boolean().default(false),
  platforms: z.array(z.string()).default([]),
  referrers: z.boolean().default(true),
});

export interface SyncRoutesDeps extends EnqueueDeps {
  pool: RegistryPool;
}

export function syncRoutes(deps: SyncRoutesDeps) {
  return new Hono().post('/', async (c) => {
    const request = await readJson(c, SyncRequest);
    const problems: string[] = [];
    const reference = (text: string, field: string): Reference | undefined => {
      try {
        return parseReference(text);
      } catch (error) {
        problems.push(`${field}: ${(error as Error).message}`);
        return undefined;
      }
    };
    const source = reference(request.source, 'source');
    if (source && source.tag === undefined && source.digest === undefined) problems.push('source: name a tag or a digest');
    const destinations = request.destinations.map((d, i) => {
      const ref = reference(d, `destinations.${i}`);
      if (ref?.digest) problems.push(`destinations.${i}: a destination names a tag, not a digest`);
      if (ref && source && ref.tag === undefined && source.tag === undefined) problems.push(`destinations.${i}: name a tag (the source has none)`);
      return ref;
    });
    try {
      if (request.platforms.length > 0) parsePlatforms(request.platforms);
    } catch (error) {
      problems.push(`platforms: ${(error as Error).message}`);
    }
    problems.push(...undeclaredProblems(deps.pool.egress?.declared, [
      ...(source ? [['source', source.registry] as const] : []),
      ...destinations.flatMap((d, i) => (d ? [[`destinations.${i}`, d.registry] as const] : [])),
    ]));
    problems.push(...(await grantProblems(deps.pool, destinations.flatMap((d, i) => (d ? [[`destinations.${i}`, d.registry, d.repository] as const] : [])), 'sync')));
    if (problems.length > 0 || !source) throw new InvalidInputError('INVALID_REQUEST', problems);
    const at = (deps.now ?? (() => new Date()))();
    const tasks = await enqueueTasks(deps, destinations.map((d) => ({
      kind: 'manual' as const,
      source,
      destination: { registry: d!.registry, repository: d!.repository, ...((d!.tag ?? source.tag) ? { tag: d!.tag ?? source.tag } : {}) },
      options: { overwrite: request.overwrite, platforms: request.platforms, referrers: request.referrers },
      pushedAt: at.toISOString(),
      // Each request is new work: asking again later replicates again.
      identity: `request:${at.toISOString()}`,
    })));
    return c.json({ tasks }, 202);
  });
}
