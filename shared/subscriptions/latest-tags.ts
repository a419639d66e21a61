/**
 * The newest N tags: by push time, read from each image's config `created` (what every registry
 * can tell; an index's first image speaks for it), or by semantic version. HEADs come first
 * and cost nothing on Docker Hub; manifests and configs are read only to order by push time.
 */
import { z } from 'zod';
import type { CallOptions, RegistryClient } from '../oci/client.ts';
import { mapLimit } from '../oci/limiter.ts';
import { getManifest, headManifest } from '../oci/manifests.ts';
import { openBlob } from '../oci/blobs.ts';
import { MAX_CANDIDATES } from './subscription.ts';

const CONCURRENCY = 8;
const MAX_CONFIG_BYTES = 1024 * 1024;
const ImageConfig = z.looseObject({ created: z.string().optional() });
const SEMVER = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export interface TagAtSource {
  tag: string;
  digest: string;
  /** Epoch ms the image was built, when its config says. */
  created?: number;
}

export function compareSemver(a: string, b: string): number {
  const x = SEMVER.exec(a)!;
  const y = SEMVER.exec(b)!;
  for (let i = 1; i <= 3; i++) {
    const d = Number(x[i]) - Number(y[i]);
    if (d !== 0) return d;
  }
  // A pre-release sorts below its release (semver.org §11).
  if (x[4] === undefined || y[4] === undefined) return (x[4] === undefined ? 1 : 0) - (y[4] === undefined ? 1 : 0);
  return x[4].localeCompare(y[4], 'en', { numeric: true });
}

/**
 * The candidates kept while a tag list is read page by page, so a run never holds the whole list:
 * by push time the last `maxCandidates` tags listed (those newestTags would date), by semantic
 * version the `n` highest. `newestTags` over what is kept chooses what it would over every tag.
 */
export function keepCandidates(kept: string[], page: string[], order: 'pushed' | 'semver', n: number, maxCandidates = MAX_CANDIDATES): string[] {
  if (order === 'pushed') return [...kept, ...page].slice(-maxCandidates);
  return [...new Set([...kept, ...page.filter((t) => SEMVER.test(t))])].sort((a, b) => compareSemver(b, a)).slice(0, n);
}

/** Build times already read, by manifest digest (a digest's image never changes). */
export type CreatedCache = Record<string, number>;

export async function newestTags(
  client: RegistryClient,
  repository: string,
  tags: string[],
  order: 'pushed' | 'semver',
  n: number,
  options: CallOptions & { cache?: CreatedCache; maxCandidates?: number } = {},
): Promise<TagAtSource[]> {
  if (order === 'semver') {
    const chosen = tags.filter((t) => SEMVER.test(t)).sort((a, b) => compareSemver(b, a)).slice(0, n);
    const heads = await mapLimit(chosen, CONCURRENCY, async (tag) => ({ tag, head: await headManifest(client, repository, tag, options) }));
    return heads.flatMap(({ tag, head }) => (head ? [{ tag, digest: head.digest }] : []));
  }
  // Order by push time: bounded work per run, the last tags listed first (registries list in
  // lexical order; the newest names tend to sort last). A HEAD names each tag's digest (free on
  // Docker Hub, where a manifest GET is a pull); only digests not seen before are read.
  const cache = options.cache ?? {};
  const candidates = tags.slice(-(options.maxCandidates ?? MAX_CANDIDATES));
  const dated = await mapLimit(candidates, CONCURRENCY, async (tag) => {
    const head = await headManifest(client, repository, tag, options).catch(() => undefined);
    if (!head) return undefined;
    if (cache[head.digest] !== undefined) return { tag, digest: head.digest, ...(cache[head.digest]! > 0 ? { created: cache[head.digest]! } : {}) };
    const manifest = await getManifest(client, repository, head.digest, options).catch(() => undefined);
    if (!manifest) return undefined;
    const image = manifest.kind === 'index' ? await firstImage(client, repository, manifest.body.manifests[0]?.digest, options) : manifest;
    const created = image?.kind === 'image' ? await createdTime(client, repository, image.body.config.digest, options) : undefined;
    // 0 records "no build time": the image is not read again for it either.
    cache[head.digest] = created ?? 0;
    return { tag, digest: head.digest, ...(created !== undefined ? { created } : {}) };
  });
  return dated
    .filter((d): d is TagAtSource => d !== undefined)
    .sort((a, b) => (b.created ?? 0) - (a.created ?? 0) || b.tag.localeCompare(a.tag))
    .slice(0, n);
}

async function firstImage(client: RegistryClient, repository: string, digest: string | undefined, options: CallOptions) {
  return digest === undefined ? undefined : getManifest(client, repository, digest, options).catch(() => undefined);
}

async function createdTime(client: RegistryClient, repository: string, digest: string, options: CallOptions): Promise<number | undefined> {
  const body = await openBlob(client, repository, digest, options);
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of body) {
    size += (chunk as Buffer).length;
    if (size > MAX_CONFIG_BYTES) {
      body.destroy();
      return undefined;
    }
    chunks.push(chunk as Buffer);
  }
  try {
    const config = ImageConfig.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8')));
    const time = config.success && config.data.created ? Date.parse(config.data.created) : Number.NaN;
    return Number.isNaN(time) ? undefined : time;
  } catch {
    return undefined;
  }
}
