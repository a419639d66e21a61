/**
 * Runs a sync plan: `proc` images at a time, then, like image-syncer, up to `retries` more
 * rounds for the images that failed with a retryable error. Reports each outcome as it lands.
 * When `signal` aborts (Ctrl-C), no image starts any more, copies in flight are cancelled (a tag
 * is written last, so none points at something incomplete) and the summary counts what finished.
 */
import { asCrossdockError, type CrossdockError } from '../errors.ts';
import type { CopyEngine, CopyOptions, CopyResult } from '../oci/copy.ts';
import { mapLimit } from '../oci/limiter.ts';
import { formatReference } from '../oci/reference.ts';
import type { SyncItem, SyncPlan } from './plan.ts';

export interface SyncRunOptions extends Pick<CopyOptions, 'overwrite' | 'platforms' | 'referrers' | 'dryRun' | 'deadline' | 'signal' | 'onBytes'> {
  /** Images copied at once. */
  proc: number;
  /** Extra rounds for images whose failure was retryable. */
  retries: number;
  onOutcome?: (outcome: SyncOutcome) => void;
}

export type SyncOutcome =
  | { ok: true; item: SyncItem; result: CopyResult; attempts: number }
  | { ok: false; item: SyncItem | undefined; source: string; destination: string; error: CrossdockError; attempts: number; final: boolean };

export interface SyncSummary {
  images: number;
  copied: number;
  upToDate: number;
  skipped: number;
  planned: number;
  failed: number;
  /** Images not finished because the run was interrupted (started and cancelled, or never started). */
  unfinished: number;
  interrupted: boolean;
  bytes: number;
  blobs: { copied: number; mounted: number; skipped: number };
  durationMs: number;
  results: CopyResult[];
  failures: Array<{ source: string; destination: string; code: string; message: string }>;
}

export async function runSync(plan: SyncPlan, engine: CopyEngine, options: SyncRunOptions): Promise<SyncSummary> {
  const started = Date.now();
  const results: CopyResult[] = [];
  const failures: SyncSummary['failures'] = plan.failures.map((f) => ({
    source: f.rule.key,
    destination: f.rule.destinations.map((d) => `${d.registry}/${d.repository}`).join(', '),
    code: f.error.code,
    message: f.error.message,
  }));
  plan.failures.forEach((f, i) => {
    options.onOutcome?.({ ok: false, item: undefined, source: f.rule.key, destination: failures[i]!.destination, error: f.error, attempts: f.attempts, final: true });
  });

  const signal = options.signal;
  let unfinished = 0;
  let pending = plan.items.map((item) => ({ item, attempts: 0 }));
  for (let round = 0; pending.length > 0 && round <= options.retries; round++) {
    const failed: typeof pending = [];
    await mapLimit(pending, options.proc, async (entry) => {
      if (signal?.aborted) {
        unfinished++;
        return;
      }
      entry.attempts++;
      try {
        const result = await engine.copyImage(entry.item.source, entry.item.destination, {
          ...copyOptions(options),
          ...(entry.item.sourceTags ? { sourceTags: entry.item.sourceTags } : {}),
          // A retry round must look again: the first round changed the destination.
          ...(entry.item.destinationTags && round === 0 ? { destinationTags: entry.item.destinationTags } : {}),
        });
        results.push(result);
        options.onOutcome?.({ ok: true, item: entry.item, result, attempts: entry.attempts });
      } catch (thrown) {
        if (signal?.aborted) {
          unfinished++;
          return;
        }
        const error = asCrossdockError(thrown);
        const final = !error.retryable || round === options.retries;
        if (!final) failed.push(entry);
        else failures.push({ source: formatReference(entry.item.source), destination: formatReference(entry.item.destination), code: error.code, message: error.message });
        options.onOutcome?.({ ok: false, item: entry.item, source: formatReference(entry.item.source), destination: formatReference(entry.item.destination), error, attempts: entry.attempts, final });
      }
    });
    pending = failed;
  }

  const count = (status: CopyResult['status']) => results.filter((r) => r.status === status).length;
  return {
    images: plan.items.length,
    copied: count('copied'),
    upToDate: count('up-to-date'),
    skipped: count('skipped'),
    planned: count('planned'),
    failed: failures.length,
    unfinished,
    interrupted: signal?.aborted === true,
    bytes: results.reduce((n, r) => n + r.bytes, 0),
    blobs: {
      copied: results.reduce((n, r) => n + r.blobs.copied, 0),
      mounted: results.reduce((n, r) => n + r.blobs.mounted, 0),
      skipped: results.reduce((n, r) => n + r.blobs.skipped, 0),
    },
    durationMs: Date.now() - started,
    results,
    failures,
  };
}

function copyOptions(options: SyncRunOptions): CopyOptions {
  const { proc: _proc, retries: _retries, onOutcome: _onOutcome, ...rest } = options;
  return rest;
}
