/** Tag listing with pagination (`n`, `last`, and the `Link: <…>; rel="next"` header). */
import { z } from 'zod';
import { RegistryProtocolError } from './registry-error.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import { pullScope } from './scope.ts';

const PAGE_SIZE = 1000;
const MAX_PAGES = 10_000;
const TagList = z.looseObject({ name: z.string().optional(), tags: z.array(z.string()).nullable().optional() });

export async function listTags(client: RegistryClient, repository: string, options: CallOptions = {}): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repository}/tags/list?n=${PAGE_SIZE}`;
  for (let page = 0; path !== undefined && page < MAX_PAGES; page++) {
    const what = `GET tags ${client.registry}/${repository}`;
    const res = await client.send({ ...options, method: 'GET', path, scopes: [pullScope(repository)], expect: [200], what });
    const text = await res.body.text();
    let parsed;
    try {
      parsed = TagList.safeParse(JSON.parse(text));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new RegistryProtocolError(what, 'tag list is not valid JSON');
    tags.push(...(parsed.data.tags ?? []));
    path = nextLink(res.headers.link, res.url);
  }
  return tags;
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
