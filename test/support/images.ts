import { createHash } from 'node:crypto';
import { z } from 'zod';
import { getManifest } from './registry-reader.ts';
import { header, sendExpecting, sha256Digest, type RegistryTarget } from './registry-client.ts';

// Arrange images on a real registry with a client independent of crossdock: deterministic bytes
// from a seed, manifests serialised once and pushed with exactly those bytes.

export const MediaTypes = {
  dockerManifest: 'application/vnd.docker.distribution.manifest.v2+json',
  dockerManifestList: 'application/vnd.docker.distribution.manifest.list.v2+json',
  dockerConfig: 'application/vnd.docker.container.image.v1+json',
  dockerLayer: 'application/vnd.docker.image.rootfs.diff.tar.gzip',
  ociManifest: 'application/vnd.oci.image.manifest.v1+json',
  ociIndex: 'application/vnd.oci.image.index.v1+json',
  ociConfig: 'application/vnd.oci.image.config.v1+json',
  ociLayer: 'application/vnd.oci.image.layer.v1.tar+gzip',
  ociEmpty: 'application/vnd.oci.empty.v1+json',
  cosignSimpleSigning: 'application/vnd.dev.cosign.simplesigning.v1+json',
} as const;

export type Platform = { os: string; architecture: string; variant?: string };

export type Descriptor = {
  mediaType: string;
  digest: string;
  size: number;
  artifactType?: string;
  platform?: Platform;
  annotations?: Record<string, string>;
};

export type PushedManifest = { digest: string; mediaType: string; bytes: Buffer; size: number; blobs: Descriptor[] };

export type ImageOptions = {
  tag?: string;
  format?: 'docker' | 'oci';
  layers?: number;
  layerSize?: number;
  seed?: string;
  platform?: Platform;
  /** Layers placed before the generated ones, e.g. a base layer shared by several images. */
  sharedLayers?: Buffer[];
  /** The image config's `created` time (RFC 3339), as a build would set it. */
  created?: string;
};

export type IndexOptions = {
  tag?: string;
  format: 'docker' | 'oci';
  platforms: Platform[];
  seed?: string;
  layerSize?: number;
};

/** `size` pseudo-random bytes from a seed: SHA-256 in counter mode, the same on every run. */
export function seededBytes(seed: string, size: number): Buffer {
  const out = Buffer.alloc(size);
  for (let offset = 0, counter = 0; offset < size; counter++) {
    const block = createHash('sha256').update(`${seed}/${counter}`).digest();
    offset += block.copy(out, offset, 0, Math.min(block.length, size - offset));
  }
  return out;
}

/** Upload a blob monolithically (POST, then PUT ?digest=), unless the repository already has it. */
export async function pushBlob(reg: RegistryTarget, repo: string, bytes: Buffer, mediaType = 'application/octet-stream'): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  const descriptor = { mediaType, digest, size: bytes.length };
  const head = await sendExpecting(reg, { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, repository: repo }, 200, 404);
  if (head.status === 200) return descriptor;
  const started = await sendExpecting(reg, { method: 'POST', path: `/v2/${repo}/blobs/uploads/`, repository: repo }, 202);
  const location = header(started, 'location');
  if (!location) throw new Error(`pushBlob ${repo} ${digest} on ${reg.url}: upload answered 202 without Location`);
  const upload = new URL(location, reg.url);
  upload.searchParams.set('digest', digest);
  await sendExpecting(
    reg,
    { method: 'PUT', path: upload.href, repository: repo, body: bytes, headers: { 'content-type': 'application/octet-stream' } },
    201,
  );
  return descriptor;
}

/** PUT a manifest's exact bytes under a tag or a digest. */
export async function pushManifest(reg: RegistryTarget, repo: string, ref: string, bytes: Buffer, mediaType: string): Promise<Descriptor> {
  const digest = sha256Digest(bytes);
  const res = await sendExpecting(
    reg,
    { method: 'PUT', path: `/v2/${repo}/manifests/${ref}`, repository: repo, body: bytes, headers: { 'content-type': mediaType } },
    201,
  );
  const answered = header(res, 'docker-content-digest');
  if (answered !== undefined && answered !== digest) {
    throw new Error(`pushManifest ${repo}:${ref} on ${reg.url}: registry computed ${answered}, bytes hash to ${digest}`);
  }
  return { mediaType, digest, size: bytes.length };
}

function serialise(manifest: object): Buffer {
  return Buffer.from(JSON.stringify(manifest));
}

type ManifestDocument = { mediaType: string } & Record<string, unknown>;

async function putManifest(reg: RegistryTarget, repo: string, tag: string | undefined, manifest: ManifestDocument, blobs: Descriptor[]): Promise<PushedManifest> {
  const bytes = serialise(manifest);
  const pushed = await pushManifest(reg, repo, tag ?? sha256Digest(bytes), bytes, manifest.mediaType);
  return { digest: pushed.digest, mediaType: manifest.mediaType, bytes, size: bytes.length, blobs };
}

/** Push a single-platform image: layers, config, then the manifest (by tag, else by digest). */
export async function pushImage(reg: RegistryTarget, repo: string, options: ImageOptions = {}): Promise<PushedManifest> {
  const oci = (options.format ?? 'oci') === 'oci';
  const seed = options.seed ?? `${repo}/${options.tag ?? 'image'}`;
  const platform = options.platform ?? { os: 'linux', architecture: 'amd64' };
  const contents = [
    ...(options.sharedLayers ?? []),
    ...Array.from({ length: options.layers ?? 2 }, (_, i) => seededBytes(`${seed}/layer/${i}`, options.layerSize ?? 1024)),
  ];
  const layerType = oci ? MediaTypes.ociLayer : MediaTypes.dockerLayer;
  const layers: Descriptor[] = [];
  for (const bytes of contents) layers.push(await pushBlob(reg, repo, bytes, layerType));
  const configBytes = serialise({
    ...platform,
    ...(options.created ? { created: options.created } : {}),
    config: { Labels: { 'crossdock.test.seed': seed } },
    rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) },
  });
  const config = await pushBlob(reg, repo, configBytes, oci ? MediaTypes.ociConfig : MediaTypes.dockerConfig);
  const mediaType = oci ? MediaTypes.ociManifest : MediaTypes.dockerManifest;
  return putManifest(reg, repo, options.tag, { schemaVersion: 2, mediaType, config, layers }, [config, ...layers]);
}

/** Push a Docker manifest list (Docker v2 children) or an OCI index (OCI children); children by digest. */
export async function pushIndex(reg: RegistryTarget, repo: string, options: IndexOptions): Promise<PushedManifest & { children: PushedManifest[] }> {
  const seed = options.seed ?? `${repo}/${options.tag ?? 'index'}`;
  const children: PushedManifest[] = [];
  for (const platform of options.platforms) {
    const key = [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/');
    const imageOptions: ImageOptions = { format: options.format, seed: `${seed}/${key}`, platform };
    if (options.layerSize !== undefined) imageOptions.layerSize = options.layerSize;
    children.push(await pushImage(reg, repo, imageOptions));
  }
  const mediaType = options.format === 'oci' ? MediaTypes.ociIndex : MediaTypes.dockerManifestList;
  const manifests = children.map((child, i) => ({
    mediaType: child.mediaType,
    digest: child.digest,
    size: child.size,
    platform: options.platforms[i],
  }));
  const index = await putManifest(reg, repo, options.tag, { schemaVersion: 2, mediaType, manifests }, []);
  return { ...index, children };
}

/** The `sha256-<hex>` tag prefix that cosign and the OCI referrers tag schema derive from a digest. */
function digestTag(digest: string): string {
  return digest.replace(':', '-');
}

/** A cosign-style signature: an OCI manifest with one simplesigning layer, at tag `sha256-<hex>.sig`. */
export async function pushSignatureTag(reg: RegistryTarget, repo: string, subjectDigest: string): Promise<PushedManifest & { tag: string }> {
  const payload = serialise({
    critical: {
      identity: { 'docker-reference': repo },
      image: { 'docker-manifest-digest': subjectDigest },
      type: 'cosign container image signature',
    },
    optional: null,
  });
  const layer = await pushBlob(reg, repo, payload, MediaTypes.cosignSimpleSigning);
  layer.annotations = { 'dev.cosignproject.cosign/signature': seededBytes(`signature/${subjectDigest}`, 64).toString('base64') };
  const config = await pushBlob(
    reg,
    repo,
    serialise({ architecture: '', os: '', config: {}, rootfs: { type: 'layers', diff_ids: [layer.digest] } }),
    MediaTypes.ociConfig,
  );
  const tag = `${digestTag(subjectDigest)}.sig`;
  const manifest = { schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers: [layer] };
  return { ...(await putManifest(reg, repo, tag, manifest, [config, layer])), tag };
}

const ReferrersIndex = z.looseObject({
  manifests: z.array(z.looseObject({ mediaType: z.string(), digest: z.string(), size: z.number() })),
});

/**
 * An artifact manifest whose `subject` is the given manifest, pushed by digest, and added to the
 * referrers tag schema index at `sha256-<hex>` (OCI distribution-spec 1.1, "Referrers Tag Schema"),
 * which is how a registry without the referrers API, such as Distribution 2.8, keeps referrers.
 */
export async function pushReferrer(
  reg: RegistryTarget,
  repo: string,
  subject: { digest: string; mediaType: string; size: number },
  artifactType: string,
): Promise<PushedManifest & { artifactType: string; referrersTag: string }> {
  const empty = await pushBlob(reg, repo, Buffer.from('{}'), MediaTypes.ociEmpty);
  const content = await pushBlob(reg, repo, seededBytes(`referrer/${subject.digest}/${artifactType}`, 256), artifactType);
  const manifest = {
    schemaVersion: 2,
    mediaType: MediaTypes.ociManifest,
    artifactType,
    config: empty,
    layers: [content],
    subject: { mediaType: subject.mediaType, digest: subject.digest, size: subject.size },
  };
  const referrer = await putManifest(reg, repo, undefined, manifest, [empty, content]);

  const referrersTag = digestTag(subject.digest);
  const existing = await getManifest(reg, repo, referrersTag);
  const manifests = existing ? ReferrersIndex.parse(JSON.parse(existing.bytes.toString('utf8'))).manifests : [];
  if (!manifests.some((m) => m.digest === referrer.digest)) {
    manifests.push({ mediaType: referrer.mediaType, digest: referrer.digest, size: referrer.size, artifactType });
  }
  const index = { schemaVersion: 2, mediaType: MediaTypes.ociIndex, manifests };
  await putManifest(reg, repo, referrersTag, index, []);
  return { ...referrer, artifactType, referrersTag };
}

export { getBlob, getManifest, hasBlob, listTags, type FetchedManifest } from './registry-reader.ts';
export { closeRegistryClients, sha256Digest, type RegistryTarget } from './registry-client.ts';
