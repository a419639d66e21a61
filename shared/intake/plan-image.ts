/**
 * The planning step every producer that looks at registries shares: HEAD the source (unless its
 * digest is known), HEAD each destination, and keep the destinations that are missing the image
 * or hold another digest. With a platform filter the destination's digest is not the source's
 * even when up to date, so nothing is skipped. The identity of the work is the source digest:
 * planning twice over an unchanged image names the same tasks.
 */
import type { CallOptions } from '../oci/client.ts';
import { headManifest } from '../oci/manifests.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';

export interface TaggedImage {
  registry: string;
  repository: string;
  tag: string;
}

export interface ImageToPlan {
  source: TaggedImage & { digest?: string };
  destinations: TaggedImage[];
  platforms: readonly string[];
}

export interface ImagePlan {
  digest: string;
  /** The destinations that do not hold the source's digest yet, in the order given. */
  outdated: TaggedImage[];
}

export const digestIdentity = (digest: string) => `digest:${digest}`;

/** undefined: the source has no such tag (any more). */
export async function planImage(pool: RegistryPool, image: ImageToPlan, options: CallOptions = {}): Promise<ImagePlan | undefined> {
  const { source } = image;
  const digest = source.digest ?? (await headManifest(pool.client(source.registry, source.repository), source.repository, source.tag, options))?.digest;
  if (digest === undefined) return undefined;
  const outdated: TaggedImage[] = [];
  for (const destination of image.destinations) {
    const current = await headManifest(pool.client(destination.registry, destination.repository), destination.repository, destination.tag, options);
    if (current?.digest === digest && image.platforms.length === 0) continue;
    outdated.push(destination);
  }
  return { digest, outdated };
}
