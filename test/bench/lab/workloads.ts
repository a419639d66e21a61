import { MediaTypes, pushBlob, pushImage, pushIndex, pushManifest, pushReferrer, pushSignatureTag, type Descriptor, type Platform } from '../../support/images.ts';
import type { RegistryTarget } from '../../support/registry-client.ts';
import { labBytes, labSize } from './bytes.ts';
import { pushStreamedBlob } from './stream-blob.ts';

// The benchmark's workloads, seeded into a real registry with the same bytes every run.
//   small      many small images: REPOSITORIES × TAGS images, each one of two shared base layers plus
//              unique layers of varying size; even repositories Docker v2, odd ones OCI
//   large      one OCI image whose layers are large (512 MiB and 64 MiB by default), streamed
//   multiarch  an OCI index of three platforms, a cosign-style signature tag `sha256-<hex>.sig`, and
//              an in-toto attestation whose subject is the index, kept under the referrers tag schema
// Content depends on the workload and its seeds only, never on the registry, so seeding two
// registries gives byte-identical repositories.

export const WORKLOAD_NAMES = ['small', 'large', 'multiarch'] as const;
export type WorkloadName = (typeof WORKLOAD_NAMES)[number];

export const SOURCE_NAMESPACE = 'bench';
const MIB = 1 << 20;
const KIB = 1 << 10;
const SEED_CONCURRENCY = 4;
export const ATTESTATION_TYPE = 'application/vnd.in-toto+json';

export type WorkloadSpec =
  | { name: 'small'; repositories: number; tags: number; baseLayerSize: number; uniqueLayers: number; uniqueLayerSize: [number, number] }
  | { name: 'large'; layerSizes: number[] }
  | { name: 'multiarch'; platforms: Platform[]; layerSize: number };

/** What a seeded workload holds, per source repository. */
export type SeededRepository = {
  repository: string;
  /** Image tags: what both copiers are asked to copy. */
  tags: string[];
  /** Signature and referrers-tag-schema tags; crossdock copies them, skopeo sync does not. */
  artifactTags: string[];
  /** Distinct blobs in the repository and their total size. */
  blobs: number;
  bytes: number;
  blobSizes: ReadonlyMap<string, number>;
};
/** `bytes` sums the repositories (what a copier must place); `distinctBytes` counts a blob shared by repositories once. */
export type SeededWorkload = { name: WorkloadName; images: number; repositories: SeededRepository[]; blobs: number; bytes: number; distinctBytes: number };

/** The benchmark's full-size workloads: small ≈ 60 MiB distinct (95 MiB over its 20 repositories) in 100 images, large ≈ largeMib + 64 MiB. */
export function benchWorkload(name: WorkloadName, options: { largeMib: number }): WorkloadSpec {
  switch (name) {
    case 'small':
      return { name, repositories: 20, tags: 5, baseLayerSize: 2 * MIB, uniqueLayers: 2, uniqueLayerSize: [64 * KIB, 512 * KIB] };
    case 'large':
      return { name, layerSizes: [options.largeMib * MIB, 64 * MIB] };
    case 'multiarch':
      return { name, platforms: MULTIARCH_PLATFORMS, layerSize: 512 * KIB };
  }
}

/** The same shapes, a few KiB each: for the lab's own test. */
export function tinyWorkload(name: WorkloadName): WorkloadSpec {
  switch (name) {
    case 'small':
      return { name, repositories: 3, tags: 2, baseLayerSize: 8 * KIB, uniqueLayers: 2, uniqueLayerSize: [1 * KIB, 4 * KIB] };
    case 'large':
      return { name, layerSizes: [MIB + 17, 64 * KIB] };
    case 'multiarch':
      return { name, platforms: MULTIARCH_PLATFORMS, layerSize: 2 * KIB };
  }
}

const MULTIARCH_PLATFORMS: Platform[] = [
  { os: 'linux', architecture: 'amd64' },
  { os: 'linux', architecture: 'arm64' },
  { os: 'linux', architecture: 's390x' },
];

export async function seedWorkload(reg: RegistryTarget, spec: WorkloadSpec): Promise<SeededWorkload> {
  const repositories = spec.name === 'small' ? await seedSmall(reg, spec) : spec.name === 'large' ? [await seedLarge(reg, spec)] : [await seedMultiarch(reg, spec)];
  return {
    name: spec.name,
    images: repositories.reduce((n, r) => n + r.tags.length, 0),
    repositories,
    blobs: repositories.reduce((n, r) => n + r.blobs, 0),
    bytes: repositories.reduce((n, r) => n + r.bytes, 0),
    distinctBytes: [...new Map(repositories.flatMap((r) => [...r.blobSizes])).values()].reduce((a, b) => a + b, 0),
  };
}

function summarise(repository: string, tags: string[], artifactTags: string[], blobs: Descriptor[]): SeededRepository {
  const distinct = new Map(blobs.map((b) => [b.digest, b.size]));
  return { repository, tags, artifactTags, blobs: distinct.size, bytes: [...distinct.values()].reduce((a, b) => a + b, 0), blobSizes: distinct };
}

async function seedSmall(reg: RegistryTarget, spec: Extract<WorkloadSpec, { name: 'small' }>): Promise<SeededRepository[]> {
  const bases = [0, 1].map((i) => labBytes(`small/base-${i}`, spec.baseLayerSize));
  const seedRepository = async (r: number): Promise<SeededRepository> => {
    const name = `app-${String(r).padStart(2, '0')}`;
    const repository = `${SOURCE_NAMESPACE}/${name}`;
    const tags: string[] = [];
    const blobs: Descriptor[] = [];
    for (let t = 0; t < spec.tags; t++) {
      const tag = `v1.0.${t}`;
      const seed = `small/${name}/${tag}`;
      const unique = Array.from({ length: spec.uniqueLayers }, (_, k) =>
        labBytes(`${seed}/${k}`, labSize(`${seed}/${k}`, spec.uniqueLayerSize[0], spec.uniqueLayerSize[1])),
      );
      const image = await pushImage(reg, repository, { tag, seed, format: r % 2 === 1 ? 'oci' : 'docker', sharedLayers: [bases[r % 2]!, ...unique], layers: 0 });
      tags.push(tag);
      blobs.push(...image.blobs);
    }
    return summarise(repository, tags, [], blobs);
  };
  // A few repositories at a time; tags within one repository in order, so its base layer is pushed once.
  const results: SeededRepository[] = new Array(spec.repositories);
  let next = 0;
  const worker = async () => {
    for (let r = next++; r < spec.repositories; r = next++) results[r] = await seedRepository(r);
  };
  await Promise.all(Array.from({ length: Math.min(SEED_CONCURRENCY, spec.repositories) }, worker));
  return results;
}

async function seedLarge(reg: RegistryTarget, spec: Extract<WorkloadSpec, { name: 'large' }>): Promise<SeededRepository> {
  const repository = `${SOURCE_NAMESPACE}/big`;
  const layers: Descriptor[] = [];
  for (const [i, size] of spec.layerSizes.entries()) layers.push(await pushStreamedBlob(reg, repository, `large/layer-${i}`, size, MediaTypes.ociLayer));
  const configBytes = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', config: { Labels: { 'crossdock.bench': 'large' } }, rootfs: { type: 'layers', diff_ids: layers.map((l) => l.digest) } }),
  );
  const config = await pushBlob(reg, repository, configBytes, MediaTypes.ociConfig);
  const manifest = Buffer.from(JSON.stringify({ schemaVersion: 2, mediaType: MediaTypes.ociManifest, config, layers }));
  await pushManifest(reg, repository, 'v1', manifest, MediaTypes.ociManifest);
  return summarise(repository, ['v1'], [], [config, ...layers]);
}

async function seedMultiarch(reg: RegistryTarget, spec: Extract<WorkloadSpec, { name: 'multiarch' }>): Promise<SeededRepository> {
  const repository = `${SOURCE_NAMESPACE}/multi`;
  const index = await pushIndex(reg, repository, { tag: 'v1', format: 'oci', platforms: spec.platforms, seed: 'multiarch', layerSize: spec.layerSize });
  const signature = await pushSignatureTag(reg, repository, index.digest);
  const attestation = await pushReferrer(reg, repository, index, ATTESTATION_TYPE);
  const blobs = [...index.children.flatMap((c) => c.blobs), ...signature.blobs, ...attestation.blobs];
  return summarise(repository, ['v1'], [signature.tag, attestation.referrersTag], blobs);
}
