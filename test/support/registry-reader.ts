import { z } from 'zod';
import { header, send, sendExpecting, sha256Digest, type RegistryTarget } from './registry-client.ts';

// Read what a registry holds, to verify a destination without trusting the code under test.

export const MANIFEST_ACCEPT = [
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
].join(', ');

const TagList = z.looseObject({ tags: z.array(z.string()).nullish() });

export type FetchedManifest = { digest: string; mediaType: string; bytes: Buffer };

/** The manifest at a tag or digest, or undefined when the registry answers 404; digest computed from the bytes. */
export async function getManifest(reg: RegistryTarget, repo: string, ref: string): Promise<FetchedManifest | undefined> {
  const res = await sendExpecting(
    reg,
    { method: 'GET', path: `/v2/${repo}/manifests/${ref}`, repository: repo, headers: { accept: MANIFEST_ACCEPT } },
    200,
    404,
  );
  if (res.status === 404) return undefined;
  const mediaType = (header(res, 'content-type') ?? '').split(';')[0]?.trim() ?? '';
  return { digest: sha256Digest(res.body), mediaType, bytes: res.body };
}

/** HEAD the blob: 200 → true, 404 → false, anything else throws. */
export async function hasBlob(reg: RegistryTarget, repo: string, digest: string): Promise<boolean> {
  const res = await sendExpecting(reg, { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, repository: repo }, 200, 404);
  return res.status === 200;
}

/** The blob's bytes, whole; for the small blobs tests use. Does not verify the digest. */
export async function getBlob(reg: RegistryTarget, repo: string, digest: string): Promise<Buffer> {
  const res = await sendExpecting(reg, { method: 'GET', path: `/v2/${repo}/blobs/${digest}`, repository: repo }, 200);
  return res.body;
}

/** Every tag of the repository, following Link pagination; [] when the repository is unknown. */
export async function listTags(reg: RegistryTarget, repo: string): Promise<string[]> {
  const tags: string[] = [];
  let path: string | undefined = `/v2/${repo}/tags/list`;
  while (path !== undefined) {
    const res = await send(reg, { method: 'GET', path, repository: repo });
    if (res.status === 404) return tags;
    if (res.status !== 200) {
      throw new Error(`listTags ${repo} on ${reg.url}: ${res.status} ${res.body.subarray(0, 300).toString('utf8')}`);
    }
    tags.push(...(TagList.parse(JSON.parse(res.body.toString('utf8'))).tags ?? []));
    path = /<([^>]+)>\s*;\s*rel="?next"?/.exec(header(res, 'link') ?? '')?.[1];
  }
  return tags;
}
