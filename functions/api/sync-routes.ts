/** `POST /sync`: replicate one image now, to one or more destinations (renamed if wanted). */
import { Hono } from 'hono';
import { acceptRequest, type ManualIntakeDeps, SyncRequest } from '../../shared/intake/manual-request.ts';
import { readJson } from '../http/body.ts';

export type SyncRoutesDeps = ManualIntakeDeps;

export function syncRoutes(deps: SyncRoutesDeps) {
  return new Hono().post('/', async (c) => c.json(await acceptRequest(deps, await readJson(c, SyncRequest)), 202));
}
