/** The registry catalog (`/v2/_catalog`), paginated like tags; many hosted registries refuse it. */
import { z } from 'zod';
import { RegistryProtocolError } from './registry-error.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import { nextLink } from './tags.ts';

const Catalog = z.looseObject({ repositories: z.array(z.string()).nullable().optional() });
const MAX_PAGES = 10_000;

export const FIRST_CATALOG_PAGE = '/v2/_catalog?n=1000';

/** Every repository, page after page (at most MAX_PAGES). */
export async function listRepositories(client: RegistryClient, options: CallOptions = {}): Promise<string[]> {
  const repositories: string[] = [];
  let path: string | undefined = FIRST_CATALOG_PAGE;
  for (let page = 0; path !== undefined && page < MAX_PAGES; page++) {
    const found = await listRepositoryPage(client, path, options);
    repositories.push(...found.repositories);
    path = found.next;
  }
  return repositories;
}

/** One page of the catalog, and the path of the next (absent on the last page). */
export async function listRepositoryPage(client: RegistryClient, path: string, options: CallOptions = {}): Promise<{ repositories: string[]; next?: string }> {
  const what = `GET catalog ${client.registry}`;
  const res = await client.send({ ...options, method: 'GET', path, scopes: ['registry:catalog:*'], expect: [200], what });
  let parsed;
  try {
    parsed = Catalog.safeParse(JSON.parse(await res.body.text()));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new RegistryProtocolError(what, 'catalog is not valid JSON');
  const link = nextLink(res.headers.link, res.url);
  const next = link === undefined ? undefined : `${new URL(link).pathname}${new URL(link).search}`;
  return { repositories: parsed.data.repositories ?? [], ...(next?.startsWith('/v2/_catalog') ? { next } : {}) };
}
