/**
 * Platform filtering of an index. Keeping every platform keeps the original bytes (digest
 * preserved); dropping some writes a new index, whose digest necessarily differs.
 */
import { formatPlatform, type Descriptor, type ImageIndex, type Manifest, type Platform } from './manifest-schema.ts';
import { digestOf } from './manifest-schema.ts';
import { ANY_PLATFORM_FIELD, type PlatformSpec } from './platform-spec.ts';

/** Docker's buildkit keeps attestations in the index, tied to the image they describe. */
const REFERENCE_TYPE = 'vnd.docker.reference.type';
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';

// Parsing platform specs has its own file, so that rules validate them without the manifest schemas.
export { ANY_PLATFORM_FIELD, parsePlatforms, type PlatformSpec } from './platform-spec.ts';

export function platformMatches(platform: Platform | undefined, specs: PlatformSpec[]): boolean {
  if (!platform) return false;
  const matches = (wanted: string, actual: string) => wanted === ANY_PLATFORM_FIELD || wanted === actual;
  return specs.some((s) => matches(s.os, platform.os) && matches(s.architecture, platform.architecture) && (s.variant === undefined || s.variant === platform.variant));
}

export interface FilteredIndex {
  manifest: Extract<Manifest, { kind: 'index' }>;
  kept: Descriptor[];
  dropped: string[];
  changed: boolean;
}

export function filterIndex(index: Extract<Manifest, { kind: 'index' }>, specs: PlatformSpec[]): FilteredIndex {
  const images = index.body.manifests.filter((d) => d.annotations?.[REFERENCE_TYPE] === undefined);
  const keptImages = new Set(images.filter((d) => platformMatches(d.platform, specs)).map((d) => d.digest));
  const kept = index.body.manifests.filter((d) => {
    const refersTo = d.annotations?.[REFERENCE_DIGEST];
    return keptImages.has(d.digest) || (d.annotations?.[REFERENCE_TYPE] !== undefined && refersTo !== undefined && keptImages.has(refersTo));
  });
  const dropped = index.body.manifests.filter((d) => !kept.includes(d)).map((d) => (d.platform ? formatPlatform(d.platform) : d.digest));
  if (kept.length === index.body.manifests.length) return { manifest: index, kept, dropped: [], changed: false };
  const body: ImageIndex = { ...index.body, manifests: kept };
  const bytes = Buffer.from(JSON.stringify(body));
  return {
    manifest: { kind: 'index', mediaType: index.mediaType, digest: digestOf(bytes, index.digest.split(':')[0]!), bytes, body },
    kept,
    dropped,
    changed: true,
  };
}
