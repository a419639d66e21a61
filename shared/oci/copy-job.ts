/**
 * One image copy in progress: the two endpoints, its options, and what it has done so far.
 * The tree walk (blobs → child manifests by digest) is shared by images and their referrers.
 */
import type { Logger } from '../log.ts';
import type { TransferLedger } from './blob-progress.ts';
import type { BlobCopier, BlobOutcome } from './copy-blob.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import { mapLimit } from './limiter.ts';
import { manifestBlobs, type Descriptor, type Manifest } from './manifest-schema.ts';
import { getManifest, headManifest, putManifest, type PutManifestResult } from './manifests.ts';

/** Child manifests of one index fetched and written at once. */
const CHILD_CONCURRENCY = 4;

export interface CopyStats {
  manifests: number;
  blobs: { copied: number; skipped: number; mounted: number; planned: number };
  bytes: number;
}

export interface CopyJobOptions extends CallOptions {
  dryRun: boolean;
  /** The destination repository holds no tags: manifests and blobs need no HEAD to be known absent. */
  destinationEmpty?: boolean;
  onBytes?: (n: number) => void;
  onBlob?: BlobListener;
  ledger?: TransferLedger;
  pace?: (bytes: number) => Promise<void>;
}

export type BlobListener = (event: { digest: string; size: number; phase: 'start' | 'done' }) => void;

export class CopyJob {
  readonly stats: CopyStats = { manifests: 0, blobs: { copied: 0, skipped: 0, mounted: 0, planned: 0 }, bytes: 0 };
  /** Whether the destination processed a `subject` itself (referrers API); undefined until known. */
  destinationHasReferrersApi: boolean | undefined;
  #beforeReferrers: (() => Promise<unknown>) | undefined;
  #referrersReady: Promise<unknown> | undefined;

  constructor(
    readonly src: RegistryClient,
    readonly srcRepo: string,
    readonly dst: RegistryClient,
    readonly dstRepo: string,
    readonly blobs: BlobCopier,
    readonly options: CopyJobOptions,
    readonly logger: Logger,
  ) {}

  /** Work that must happen once before the first referrer is written (the subject by digest). */
  beforeReferrers(work: () => Promise<unknown>): void {
    this.#beforeReferrers = work;
  }

  referrersReady(): Promise<unknown> {
    this.#referrersReady ??= this.#beforeReferrers?.() ?? Promise.resolve();
    return this.#referrersReady;
  }

  get call(): CallOptions {
    return { ...(this.options.deadline ? { deadline: this.options.deadline } : {}), ...(this.options.signal ? { signal: this.options.signal } : {}) };
  }

  /** Makes sure everything `manifest` refers to exists at the destination (not the manifest itself). */
  async copyContent(manifest: Manifest): Promise<void> {
    if (manifest.kind === 'image') {
      await Promise.all(manifestBlobs(manifest.body).map((d) => this.copyBlob(d)));
      return;
    }
    await mapLimit(manifest.body.manifests, CHILD_CONCURRENCY, (child) => this.ensureManifest(child));
  }

  /** A manifest by digest at the destination, with its content; present means complete. */
  async ensureManifest(descriptor: Pick<Descriptor, 'digest'>): Promise<Manifest | undefined> {
    if (!this.options.destinationEmpty && (await headManifest(this.dst, this.dstRepo, descriptor.digest, { ...this.call, push: !this.options.dryRun }))) return undefined;
    const manifest = await getManifest(this.src, this.srcRepo, descriptor.digest, this.call);
    await this.copyContent(manifest);
    await this.putManifest(manifest, manifest.digest);
    return manifest;
  }

  async copyBlob(descriptor: Descriptor): Promise<void> {
    this.options.onBlob?.({ digest: descriptor.digest, size: descriptor.size, phase: 'start' });
    const outcome: BlobOutcome = await this.blobs.copy(
      { client: this.src, repository: this.srcRepo },
      { client: this.dst, repository: this.dstRepo },
      descriptor,
      {
        ...this.call,
        dryRun: this.options.dryRun,
        assumeAbsent: this.options.destinationEmpty === true,
        ...(this.options.onBytes ? { onBytes: this.options.onBytes } : {}),
        ...(this.options.ledger ? { ledger: this.options.ledger } : {}),
        ...(this.options.pace ? { pace: this.options.pace } : {}),
      },
    );
    this.options.onBlob?.({ digest: descriptor.digest, size: descriptor.size, phase: 'done' });
    this.stats.blobs[outcome]++;
    if (outcome === 'copied' || outcome === 'planned') this.stats.bytes += descriptor.size;
  }

  async putManifest(manifest: Manifest, reference: string): Promise<PutManifestResult | undefined> {
    this.stats.manifests++;
    if (this.options.dryRun) return undefined;
    const result = await putManifest(this.dst, this.dstRepo, reference, manifest, this.call);
    if (manifest.body.subject) this.destinationHasReferrersApi = result.subjectProcessed;
    this.logger.info('manifest pushed', { repository: this.dstRepo, reference, digest: manifest.digest, media_type: manifest.mediaType });
    return result;
  }
}
