/**
 * Signatures and attestations follow their image: OCI referrers (API or tag schema) and
 * cosign's `sha256-<hex>.sig|.att|.sbom` tags. Where the destination has no referrers API we
 * keep its tag-schema index ourselves, byte for byte the source's when nothing else is there.
 */
import type { CopyJob } from './copy-job.ts';
import { type Descriptor, type Manifest, digestOf } from './manifest-schema.ts';
import { getManifest, headManifest } from './manifests.ts';
import { MediaType } from './media-types.ts';
import { findCosignTags, hasReferrersApi, listReferrers, referrersTag } from './referrers.ts';

/** Signatures of attestations of …: deep enough for real supply chains, bounded against cycles. */
const MAX_DEPTH = 3;

export interface ReferrerStats {
  /** Referrer manifests and cosign tags found at the source. */
  found: number;
  /** Of those, written to the destination now (the rest were there). */
  copied: number;
}

export async function copyReferrers(job: CopyJob, subjects: string[], knownTags: ReadonlySet<string> | undefined, depth = 1, seen = new Set<string>()): Promise<ReferrerStats> {
  const stats: ReferrerStats = { found: 0, copied: 0 };
  for (const subject of subjects) {
    if (seen.has(subject)) continue;
    seen.add(subject);
    const list = await listReferrers(job.src, job.srcRepo, subject, { ...job.call, ...(knownTags ? { knownTags } : {}) });
    const nested: string[] = [];
    if (list.descriptors.length > 0) await job.referrersReady();
    for (const descriptor of list.descriptors) {
      stats.found++;
      if (await job.ensureManifest(descriptor)) stats.copied++;
      nested.push(descriptor.digest);
    }
    if (list.descriptors.length > 0) await updateTagSchema(job, subject, list.descriptors, list.tagIndex);
    for (const tag of await findCosignTags(job.src, job.srcRepo, subject, knownTags, job.call)) {
      stats.found++;
      if (await copyTag(job, tag)) stats.copied++;
    }
    if (depth < MAX_DEPTH && nested.length > 0) {
      const deeper = await copyReferrers(job, nested, knownTags, depth + 1, seen);
      stats.found += deeper.found;
      stats.copied += deeper.copied;
    }
  }
  return stats;
}

/** Copies a tag as it is at the source (cosign rewrites its tags as signatures are added). */
async function copyTag(job: CopyJob, tag: string): Promise<boolean> {
  const manifest = await getManifest(job.src, job.srcRepo, tag, job.call);
  const existing = await headManifest(job.dst, job.dstRepo, tag, { ...job.call, push: !job.options.dryRun });
  if (existing?.digest === manifest.digest) return false;
  await job.referrersReady();
  await job.copyContent(manifest);
  await job.putManifest(manifest, tag);
  return true;
}

async function updateTagSchema(job: CopyJob, subject: string, descriptors: Descriptor[], sourceIndex: Extract<Manifest, { kind: 'index' }> | undefined): Promise<void> {
  if (job.destinationHasReferrersApi ?? (await hasReferrersApi(job.dst, job.dstRepo, subject, job.call))) return;
  const tag = referrersTag(subject);
  const current = (await headManifest(job.dst, job.dstRepo, tag, { ...job.call, push: !job.options.dryRun }))
    ? await getManifest(job.dst, job.dstRepo, tag, job.call)
    : undefined;
  if (current === undefined && sourceIndex !== undefined) {
    await job.putManifest(sourceIndex, tag);
    return;
  }
  const existing = current?.kind === 'index' ? current.body.manifests : [];
  const missing = descriptors.filter((d) => !existing.some((e) => e.digest === d.digest));
  if (missing.length === 0) return;
  const body = { schemaVersion: 2 as const, mediaType: MediaType.OciIndex, manifests: [...existing, ...missing] };
  const bytes = Buffer.from(JSON.stringify(body));
  await job.putManifest({ kind: 'index', mediaType: MediaType.OciIndex, digest: digestOf(bytes, 'sha256'), bytes, body }, tag);
}
