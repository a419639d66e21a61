/**
 * The copy engine: one image from a source to a destination reference, streaming blobs, digests
 * preserved. Order: blobs → child manifests by digest → (subject by digest, referrers) → tag last,
 * so a tag never points at something incomplete.
 */
import { InvalidInputError } from '../errors.ts';
import { silentLogger, type Logger } from '../log.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import type { TransferLedger } from './blob-progress.ts';
import { BlobCopier } from './copy-blob.ts';
import { CopyJob, type BlobListener, type CopyStats } from './copy-job.ts';
import { copyReferrers, type ReferrerStats } from './copy-referrers.ts';
import { formatPlatform, type Manifest } from './manifest-schema.ts';
import { getManifest, headManifest } from './manifests.ts';
import { INDEX_MEDIA_TYPES, IMAGE_MEDIA_TYPES, isIndexMediaType } from './media-types.ts';
import { filterIndex, type PlatformSpec } from './platform-filter.ts';
import { formatReference, manifestReference, type Reference } from './reference.ts';
import type { RegistryPool } from './registry-pool.ts';

export const DEFAULT_BLOB_CONCURRENCY = 8;

export interface CopyOptions extends CallOptions {
  /** Replace a different image at the destination tag (default false: skip it, with a reason). */
  overwrite?: boolean;
  /** Keep only these platforms of a multi-platform image (the index digest then changes). */
  platforms?: PlatformSpec[];
  /** Copy signatures and attestations along (default true). */
  referrers?: boolean;
  /** Find out what would be copied without writing anything. */
  dryRun?: boolean;
  /** The source repository's tags, when the caller listed them already (saves HEAD probes). */
  sourceTags?: ReadonlySet<string>;
  /**
   * The destination repository's tags, when the caller listed them already: a tag not in the
   * set needs no HEAD, and an empty set means no manifest or blob there needs one either.
   */
  destinationTags?: ReadonlySet<string>;
  /**
   * Asked just before the tag is written; a returned reason skips the tag write. Lets a caller
   * keep an older push of a tag from replacing a newer one that was written meanwhile.
   */
  beforeTagPush?: () => Promise<string | undefined>;
  /** Called with each chunk's size as blob bytes stream through. */
  onBytes?: (n: number) => void;
  /** Called when a blob's copy begins (its size) and when it ends, for progress reports. */
  onBlob?: BlobListener;
  /** Large blobs stop at the ledger's stop time with their progress saved (TransferPausedError). */
  ledger?: TransferLedger;
  /** Awaited before each chunk of blob bytes goes on: a bandwidth cap (sync links) paces the stream. */
  pace?: (bytes: number) => Promise<void>;
}

export type CopyStatus = 'copied' | 'up-to-date' | 'skipped' | 'planned';

export interface CopyResult extends CopyStats {
  source: string;
  destination: string;
  status: CopyStatus;
  /** Why nothing was written (skipped), or what the copy changed (platform filter). */
  reason?: string;
  mediaType: string;
  sourceDigest: string;
  /** The digest the destination reference now resolves to. */
  digest: string;
  digestPreserved: boolean;
  platforms?: { kept: string[]; dropped: string[] };
  referrers: ReferrerStats & { skipped?: string };
  durationMs: number;
}

export interface CopyEngineOptions {
  pool: RegistryPool;
  blobConcurrency?: number;
  logger?: Logger;
}

export class CopyEngine {
  readonly pool: RegistryPool;
  readonly #blobs: BlobCopier;
  readonly #logger: Logger;

  constructor(options: CopyEngineOptions) {
    this.pool = options.pool;
    this.#logger = options.logger ?? silentLogger;
    this.#blobs = new BlobCopier({ concurrency: options.blobConcurrency ?? DEFAULT_BLOB_CONCURRENCY, logger: this.#logger });
  }

  async copyImage(source: Reference, destination: Reference, options: CopyOptions = {}): Promise<CopyResult> {
    const started = Date.now();
    if (destination.digest !== undefined) {
      throw new InvalidInputError('REFERENCE_INVALID', `destination ${formatReference(destination)}: a destination names a tag, not a digest (the digest comes from the source)`);
    }
    const targetTag = destination.tag ?? source.tag;
    const src = this.pool.client(source.registry, source.repository);
    const dst = this.pool.client(destination.registry, destination.repository);
    const logger = this.#logger.child({ source: formatReference(source), destination: formatReference({ ...destination, ...(targetTag ? { tag: targetTag } : {}) }) });
    const job = new CopyJob(src, source.repository, dst, destination.repository, this.#blobs, {
      dryRun: options.dryRun ?? false,
      destinationEmpty: options.destinationTags?.size === 0,
      ...(options.deadline ? { deadline: options.deadline } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
      ...(options.onBytes ? { onBytes: options.onBytes } : {}),
      ...(options.onBlob ? { onBlob: options.onBlob } : {}),
      ...(options.ledger ? { ledger: options.ledger } : {}),
      ...(options.pace ? { pace: options.pace } : {}),
    }, logger);

    // The destination tag is known to be absent (the caller listed the tags): the body will be
    // needed anyway, so one GET (verified against Docker-Content-Digest) replaces HEAD + GET.
    const listedAbsent = targetTag !== undefined && options.destinationTags !== undefined && !options.destinationTags.has(targetTag);
    const found = listedAbsent ? sourceImage(await getManifest(src, source.repository, manifestReference(source), job.call)) : await headSource(src, source.repository, manifestReference(source), job.call);
    const sourceDigest = found.digest;
    // A platform filter needs the index itself to compute what the destination gets.
    const original = found.manifest ?? (options.platforms?.length ? await getManifest(src, source.repository, sourceDigest, job.call) : undefined);
    let manifest: Manifest | undefined = original;
    let platforms: CopyResult['platforms'];
    const result = (status: CopyStatus, why: string | undefined, referrers: CopyResult['referrers'] = { found: 0, copied: 0 }): CopyResult => ({
      source: formatReference(source),
      destination: formatReference({ ...destination, ...(targetTag ? { tag: targetTag } : {}) }),
      status,
      ...(why ? { reason: why } : {}),
      mediaType: manifest?.mediaType ?? found.mediaType,
      sourceDigest,
      digest: manifest?.digest ?? sourceDigest,
      digestPreserved: (manifest?.digest ?? sourceDigest) === sourceDigest,
      ...(platforms ? { platforms } : {}),
      ...job.stats,
      referrers,
      durationMs: Date.now() - started,
    });

    let reason: string | undefined;
    if (options.platforms?.length && original) {
      if (original.kind === 'index') {
        const filtered = filterIndex(original, options.platforms);
        if (filtered.kept.length === 0) {
          const available = original.body.manifests.flatMap((d) => (d.platform ? [formatPlatform(d.platform)] : [])).join(', ');
          return result('skipped', `no platform of the source matches ${options.platforms.map(formatPlatform).join(', ')} (it has ${available})`);
        }
        manifest = filtered.manifest;
        platforms = { kept: filtered.kept.flatMap((d) => (d.platform ? [formatPlatform(d.platform)] : [])), dropped: filtered.dropped };
        if (filtered.changed) reason = `platform filter kept ${platforms.kept.join(', ')}: the destination index is a new manifest (${manifest.digest}), not the source's ${original.digest}`;
      } else {
        reason = 'single-platform image: the platform filter applies to multi-platform indexes only';
      }
    }
    const digest = manifest?.digest ?? sourceDigest;

    // Destination first: an identical image means nothing to write; a different one may be kept.
    const current = listedAbsent ? undefined : await headManifest(dst, destination.repository, targetTag ?? digest, { ...job.call, push: !job.options.dryRun });
    const upToDate = current?.digest === digest;
    if (current && !upToDate && !options.overwrite) {
      logger.info('image skipped', { digest, current: current.digest });
      return result('skipped', `destination ${targetTag ? `tag ${targetTag}` : 'reference'} holds ${current.digest}, source is ${digest}, and overwrite is off`);
    }

    const copyReferrersToo = options.referrers ?? true;
    if (!upToDate) {
      manifest ??= await getManifest(src, source.repository, sourceDigest, job.call);
    } else if (copyReferrersToo && manifest === undefined && isIndexMediaType(found.mediaType)) {
      // The children's referrers are looked for below: the destination holds the same bytes.
      manifest = await getManifest(dst, destination.repository, digest, job.call);
    }

    if (!upToDate && manifest) await job.copyContent(manifest);

    let referrers: CopyResult['referrers'] = { found: 0, copied: 0 };
    if (copyReferrersToo) {
      const subjects = [...(digest === sourceDigest ? [digest] : []), ...(manifest?.kind === 'index' ? manifest.body.manifests.map((d) => d.digest) : [])];
      // Referrers name their subject by digest: it exists before them, and the tag comes last.
      const subject = manifest;
      if (!upToDate && targetTag && subject) job.beforeReferrers(() => job.putManifest(subject, subject.digest));
      referrers = await copyReferrers(job, subjects, options.sourceTags);
      if (digest !== sourceDigest) referrers.skipped = `signatures of ${sourceDigest} do not apply to the filtered index ${digest}`;
    }
    if (!upToDate && targetTag !== undefined && options.beforeTagPush && !job.options.dryRun) {
      const veto = await options.beforeTagPush();
      if (veto !== undefined) {
        logger.info('tag push vetoed', { digest, reason: veto });
        return result('skipped', veto, referrers);
      }
    }
    if (!upToDate && manifest) await job.putManifest(manifest, targetTag ?? manifest.digest);

    const status: CopyStatus = upToDate ? 'up-to-date' : job.options.dryRun ? 'planned' : 'copied';
    logger.info('image done', { status, digest, bytes: job.stats.bytes, manifests: job.stats.manifests, duration_ms: Date.now() - started });
    return result(status, reason, referrers);
  }

  async close(): Promise<void> {
    await this.pool.close();
  }
}

/** The source image as its HEAD tells it; `manifest` only when the HEAD could not say enough. */
interface SourceImage {
  digest: string;
  mediaType: string;
  manifest: Manifest | undefined;
}

/**
 * HEAD first: on Docker Hub every manifest GET counts as a pull, so the body is read only when
 * something must be copied. It is then read by the digest the HEAD answered, and verified
 * against it. A registry whose HEAD names no digest or no manifest media type is read at once.
 */
async function headSource(client: RegistryClient, repository: string, reference: string, options: CallOptions): Promise<SourceImage> {
  const head = await headManifest(client, repository, reference, options);
  if (head?.mediaType !== undefined && (IMAGE_MEDIA_TYPES.has(head.mediaType) || INDEX_MEDIA_TYPES.has(head.mediaType))) {
    return { digest: head.digest, mediaType: head.mediaType, manifest: head.manifest };
  }
  // Absent by HEAD: the GET says why in the registry's words (404 MANIFEST_UNKNOWN, 401 …).
  return sourceImage(head?.manifest ?? (await getManifest(client, repository, head?.digest ?? reference, options)));
}

function sourceImage(manifest: Manifest): SourceImage {
  return { digest: manifest.digest, mediaType: manifest.mediaType, manifest };
}
