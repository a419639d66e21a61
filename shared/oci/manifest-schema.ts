/**
 * Manifests as registries return them. We parse to understand (children, blobs, subject) but
 * always push the original bytes, so the digest is preserved.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { CrossdockError } from '../errors.ts';
import { INDEX_MEDIA_TYPES, IMAGE_MEDIA_TYPES, MediaType, SCHEMA1_MEDIA_TYPES } from './media-types.ts';

export const Platform = z.looseObject({
  os: z.string(),
  architecture: z.string(),
  variant: z.string().optional(),
  'os.version': z.string().optional(),
});
export type Platform = z.infer<typeof Platform>;

export const Descriptor = z.looseObject({
  mediaType: z.string(),
  digest: z.string(),
  size: z.number().int().nonnegative(),
  urls: z.array(z.string()).optional(),
  annotations: z.record(z.string(), z.string()).optional(),
  platform: Platform.optional(),
  artifactType: z.string().optional(),
});
export type Descriptor = z.infer<typeof Descriptor>;

export const ImageManifest = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  config: Descriptor,
  layers: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageManifest = z.infer<typeof ImageManifest>;

export const ImageIndex = z.looseObject({
  schemaVersion: z.literal(2),
  mediaType: z.string().optional(),
  artifactType: z.string().optional(),
  manifests: z.array(Descriptor),
  subject: Descriptor.optional(),
  annotations: z.record(z.string(), z.string()).optional(),
});
export type ImageIndex = z.infer<typeof ImageIndex>;

/** A manifest with the exact bytes the registry served, and what they mean. */
export type Manifest =
  | { kind: 'image'; mediaType: string; digest: string; bytes: Buffer; body: ImageManifest }
  | { kind: 'index'; mediaType: string; digest: string; bytes: Buffer; body: ImageIndex };

export class UnsupportedManifestError extends CrossdockError {
  constructor(what: string, why: string) {
    super('MANIFEST_UNSUPPORTED', `${what}: ${why}`, { retryable: false });
  }
}

export class InvalidManifestError extends CrossdockError {
  constructor(what: string, why: string) {
    super('MANIFEST_INVALID', `${what}: ${why}`, { retryable: false });
  }
}

export function sha256Digest(bytes: Uint8Array): string {
  return 'sha256:' + createHash('sha256').update(bytes).digest('hex');
}

export function digestOf(bytes: Uint8Array, algorithm: string): string {
  if (algorithm !== 'sha256' && algorithm !== 'sha512') throw new UnsupportedManifestError(algorithm, 'unsupported digest algorithm');
  return `${algorithm}:` + createHash(algorithm).update(bytes).digest('hex');
}

/**
 * Interprets manifest bytes. `contentType` is the registry's Content-Type; the body's own
 * `mediaType` field wins when present, and a body without one is classified by its shape.
 */
export function parseManifest(bytes: Buffer, contentType: string | undefined, digest: string, what: string): Manifest {
  let json: unknown;
  try {
    json = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    throw new InvalidManifestError(what, 'manifest is not valid JSON');
  }
  const declared = typeof json === 'object' && json !== null && typeof (json as { mediaType?: unknown }).mediaType === 'string'
    ? (json as { mediaType: string }).mediaType
    : undefined;
  const schemaVersion = typeof json === 'object' && json !== null ? (json as { schemaVersion?: unknown }).schemaVersion : undefined;
  const type = declared ?? cleanContentType(contentType);
  if (schemaVersion === 1 || (type !== undefined && SCHEMA1_MEDIA_TYPES.has(type))) {
    throw new UnsupportedManifestError(what, 'Docker schema 1 manifests are unsupported (deprecated and unsigned-by-digest); convert the image to schema 2 or OCI first');
  }
  const looksLikeIndex = typeof json === 'object' && json !== null && Array.isArray((json as { manifests?: unknown }).manifests);
  if ((type !== undefined && INDEX_MEDIA_TYPES.has(type)) || (type === undefined && looksLikeIndex) || (looksLikeIndex && !IMAGE_MEDIA_TYPES.has(type ?? ''))) {
    const parsed = ImageIndex.safeParse(json);
    if (!parsed.success) throw new InvalidManifestError(what, `invalid index: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}`);
    return { kind: 'index', mediaType: type ?? MediaType.OciIndex, digest, bytes, body: parsed.data };
  }
  const parsed = ImageManifest.safeParse(json);
  if (!parsed.success) throw new InvalidManifestError(what, `invalid image manifest: ${parsed.error.issues.map((i) => `${i.path.join('.')} ${i.message}`).join(', ')}`);
  return { kind: 'image', mediaType: type ?? MediaType.OciManifest, digest, bytes, body: parsed.data };
}

function cleanContentType(contentType: string | undefined): string | undefined {
  if (!contentType) return undefined;
  const value = contentType.split(';')[0]!.trim();
  return value === '' || value === 'application/json' || value === 'text/plain' ? undefined : value;
}

/** Blobs a manifest refers to: config first, then layers (foreign layers with `urls` are left out). */
export function manifestBlobs(manifest: ImageManifest): Descriptor[] {
  return [manifest.config, ...manifest.layers].filter((d) => !d.urls?.length);
}

export function formatPlatform(p: Pick<Platform, 'os' | 'architecture' | 'variant'>): string {
  return `${p.os}/${p.architecture}${p.variant ? `/${p.variant}` : ''}`;
}
