/** Tag listing with pagination (`n`, `last`, and the `Link: <…>; rel="next"` header). */
import { z } from 'zod';
import { RegistryProtocolError } from './registry-error.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import { pullScope } from './scope.ts';

const PAGE_SIZE = 1000;
/** Pages of tags read at most (10 million tags). */
export const MAX_TAG_PAGES = 10_000;
const TagList = z.looseObject({ name: z.string().optional(), tags: z.array(z.string()).nullable().optional() });

/** The first page of a repository's tag list. */
export const firstTagPage = (repository: string, pageSize = PAGE_SIZE) => `/v2/${repository}/tags/list?n=${pageSize}`;

/**
 * One page of a repository's tags, and the path of the next (absent on the last page, and when
 * the registry links anywhere but this repository's tag list): a bounded step a queue message can
 * carry on (shared/intake/subscription-expansion.ts).
 */
export async function listTagPage(client: RegistryClient, repository: string, path: string, options: CallOptions = {}): Promise<{ tags: string[]; next?: string }> {
  const what = `GET tags ${client.registry}/${repository}`;
  const res = await client.send({ ...options, method: 'GET', path, scopes: [pullScope(repository)], expect: [200], what });
  const tags = parseTagList(await res.body.text(), what);
  const link = nextLink(res.headers.link, res.url);
  const next = link === undefined ? undefined : `${new URL(link).pathname}${new URL(link).search}`;
  return { tags, ...(next?.startsWith(`/v2/${repository}/tags/list`) ? { next } : {}) };
}

export async function listTags(client: RegistryClient, repository: string, options: CallOptions = {}): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = firstTagPage(repository);
  for (let page = 0; path !== undefined && page < MAX_TAG_PAGES; page++) {
    const what = `GET tags ${client.registry}/${repository}`;
    const res = await client.send({ ...options, method: 'GET', path, scopes: [pullScope(repository)], expect: [200], what });
    tags.push(...parseTagList(await res.body.text(), what));
    path = nextLink(res.headers.link, res.url);
  }
  return tags;
}

function parseTagList(text: string, what: string): string[] {
  let parsed;
  try {
    parsed = TagList.safeParse(JSON.parse(text));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new RegistryProtocolError(what, 'tag list is not valid JSON');
  return parsed.data.tags ?? [];
}

/** The `rel="next"` target of a Link header, resolved against the request URL. */
export function nextLink(header: string | string[] | undefined, base: string): string | undefined {
  const values = Array.isArray(header) ? header : header ? [header] : [];
  // RFC 8288: `<target>; param; …`, links separated by commas; a target may itself hold commas.
  for (const value of values) {
    for (const match of value.matchAll(/<([^>]*)>([^<]*)/g)) {
      if (/;\s*rel\s*=\s*"?([^";,]*\s)?next[\s";,]/i.test(`${match[2]!};`)) return new URL(match[1]!, base).toString();
    }
  }
  return undefined;
}
