/**
 * Platform filtering of an index. Keeping every platform keeps the original bytes (digest
 * preserved); dropping some writes a new index, whose digest necessarily differs.
 */
import { InvalidInputError } from '../errors.ts';
import { formatPlatform, type Descriptor, type ImageIndex, type Manifest, type Platform } from './manifest-schema.ts';
import { digestOf } from './manifest-schema.ts';

/** Docker's buildkit keeps attestations in the index, tied to the image they describe. */
const REFERENCE_TYPE = 'vnd.docker.reference.type';
const REFERENCE_DIGEST = 'vnd.docker.reference.digest';

export interface PlatformSpec {
  /** `*` matches any (image-syncer's `--arch` given without `--os`, and the reverse). */
  os: string;
  architecture: string;
  variant?: string;
}

export const ANY_PLATFORM_FIELD = '*';

/** Parses `linux/amd64,linux/arm64/v8` (os/architecture[/variant], comma-separated). */
export function parsePlatforms(input: string | string[]): PlatformSpec[] {
  const items = (Array.isArray(input) ? input : [input]).flatMap((s) => s.split(',')).map((s) => s.trim()).filter(Boolean);
  const problems: string[] = [];
  const specs: PlatformSpec[] = [];
  for (const item of items) {
    const parts = item.split('/');
    if (parts.length < 2 || parts.length > 3 || parts.some((p) => !/^[a-z0-9._-]+$/i.test(p))) {
      problems.push(`invalid platform "${item}" (expected os/architecture[/variant], e.g. linux/arm64)`);
      continue;
    }
    specs.push({ os: parts[0]!, architecture: parts[1]!, ...(parts[2] ? { variant: parts[2] } : {}) });
  }
  if (problems.length > 0) throw new InvalidInputError('PLATFORM_INVALID', problems);
  return specs;
}

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
