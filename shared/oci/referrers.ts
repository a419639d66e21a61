/**
 * Referrers of a manifest (signatures, SBOMs, attestations): the OCI 1.1 referrers API, or the
 * referrers tag schema `sha256-<hex>` where a registry has no API; plus cosign's older tags
 * `sha256-<hex>.sig|.att|.sbom`, which live beside the image as ordinary tags.
 */
import type { CallOptions, RegistryClient } from './client.ts';
import { RegistryProtocolError } from './registry-error.ts';
import { ImageIndex, type Descriptor, type Manifest } from './manifest-schema.ts';
import { getManifest, headManifest } from './manifests.ts';
import { MediaType } from './media-types.ts';
import { pullScope } from './scope.ts';

export const COSIGN_SUFFIXES = ['sig', 'att', 'sbom'] as const;

/** `sha256:abc…` → `sha256-abc…`, the referrers tag schema's tag for that subject. */
export function referrersTag(digest: string): string {
  return digest.replace(':', '-');
}

export interface ReferrerList {
  descriptors: Descriptor[];
  /** Where the list came from: the API, the fallback tag, or nowhere. */
  source: 'api' | 'tag' | 'none';
  /** With source `tag`: the index found at the fallback tag, byte for byte. */
  tagIndex?: Extract<Manifest, { kind: 'index' }>;
}

/**
 * Asks the referrers API; undefined when the registry has none. Registries answer 404 to it only
 * when they lack it (distribution-spec 1.1): the client remembers the answer for its registry.
 */
async function askReferrersApi(client: RegistryClient, repository: string, digest: string, options: CallOptions): Promise<Descriptor[] | undefined> {
  if (client.supports.referrersApi === false) return undefined;
  const what = `GET referrers ${client.registry}/${repository}@${digest}`;
  const res = await client.send({
    ...options,
    method: 'GET',
    path: `/v2/${repository}/referrers/${digest}`,
    headers: { accept: MediaType.OciIndex },
    scopes: [pullScope(repository)],
    expect: [200, 404, 400, 405],
    what,
  });
  const contentType = String(res.headers['content-type'] ?? '');
  if (res.status !== 200 || !contentType.startsWith(MediaType.OciIndex)) {
    await res.body.dump();
    client.supports.referrersApi = false;
    return undefined;
  }
  let parsed;
  try {
    parsed = ImageIndex.safeParse(JSON.parse(await res.body.text()));
  } catch {
    parsed = undefined;
  }
  if (!parsed?.success) throw new RegistryProtocolError(what, 'referrers response is not an image index');
  client.supports.referrersApi = true;
  return parsed.data.manifests;
}

/** Whether a registry keeps referrers itself (API) or needs the tag schema maintained by us. */
export async function hasReferrersApi(client: RegistryClient, repository: string, digest: string, options: CallOptions = {}): Promise<boolean> {
  const known = client.supports.referrersApi;
  if (known !== undefined) return known;
  return (await askReferrersApi(client, repository, digest, options)) !== undefined;
}

/**
 * Referrers of `digest`. `knownTags`, when the caller listed the repository already, saves
 * the HEAD on the fallback tag.
 */
export async function listReferrers(
  client: RegistryClient,
  repository: string,
  digest: string,
  options: CallOptions & { knownTags?: ReadonlySet<string> } = {},
): Promise<ReferrerList> {
  const fromApi = await askReferrersApi(client, repository, digest, options);
  if (fromApi !== undefined) return { descriptors: fromApi, source: 'api' };
  const tag = referrersTag(digest);
  if (options.knownTags && !options.knownTags.has(tag)) return { descriptors: [], source: 'none' };
  if (!options.knownTags && !(await headManifest(client, repository, tag, options))) return { descriptors: [], source: 'none' };
  const index = await getManifest(client, repository, tag, options);
  if (index.kind !== 'index') return { descriptors: [], source: 'none' };
  return { descriptors: index.body.manifests, source: 'tag', tagIndex: index };
}

/** Cosign-style tags present for a digest, found in a known tag list or by HEAD requests. */
export async function findCosignTags(client: RegistryClient, repository: string, digest: string, knownTags: ReadonlySet<string> | undefined, options: CallOptions = {}): Promise<string[]> {
  const candidates = COSIGN_SUFFIXES.map((suffix) => `${referrersTag(digest)}.${suffix}`);
  if (knownTags) return candidates.filter((tag) => knownTags.has(tag));
  const found = await Promise.all(candidates.map(async (tag) => ((await headManifest(client, repository, tag, options)) ? tag : undefined)));
  return found.filter((tag): tag is string => tag !== undefined);
}
