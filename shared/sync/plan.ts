/**
 * Expands image-syncer rules into one copy per (tag, destination), listing the source's tags
 * where a rule asks for all of them or for a pattern. Signature and referrer tags
 * (`sha256-<hex>[.sig|.att|.sbom]`) are left out: they travel with the image they sign. The
 * same (source, destination) named twice is one copy. A rule whose listing failed with a
 * retryable error is listed again, up to `retries` more rounds, as image-syncer retries its
 * rule tasks with the rest.
 */
import { asCrossdockError, type CrossdockError } from '../errors.ts';
import type { CallOptions } from '../oci/client.ts';
import { RegistryError } from '../oci/registry-error.ts';
import { mapLimit } from '../oci/limiter.ts';
import { formatReference, type Reference } from '../oci/reference.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { listTags } from '../oci/tags.ts';
import { isArtifactTag } from '../oci/artifact-tags.ts';
import type { SyncConfig, SyncRule } from './config.ts';

export interface SyncItem {
  rule: SyncRule;
  source: Reference;
  destination: Reference;
  /** Every tag of the source repository, when the plan listed them. */
  sourceTags?: ReadonlySet<string>;
  /** Every tag of the destination repository before the sync (empty: a new repository). */
  destinationTags?: ReadonlySet<string>;
}

export interface PlanFailure {
  rule: SyncRule;
  error: CrossdockError;
  attempts: number;
}

export interface PlanOptions extends CallOptions {
  /** Extra rounds for rules whose listing failed with a retryable error (default 0). */
  retries?: number;
  /** Told of each listing failure that will be tried again. */
  onRetry?: (failure: PlanFailure) => void;
}

export interface SyncPlan {
  items: SyncItem[];
  failures: PlanFailure[];
}

export async function planSync(config: SyncConfig, pool: RegistryPool, concurrency: number, planOptions: PlanOptions = {}): Promise<SyncPlan> {
  const { retries = 0, onRetry, ...options } = planOptions;
  const byKey = new Map<string, SyncItem>();
  const failures: PlanFailure[] = [];
  let pending = config.rules.map((rule) => ({ rule, attempts: 0 }));
  for (let round = 0; pending.length > 0 && round <= retries; round++) {
    const failed: typeof pending = [];
    const expanded = await mapLimit(pending, concurrency, async (entry) => {
      entry.attempts++;
      try {
        return { entry, items: await expandRule(entry.rule, pool, options) };
      } catch (error) {
        return { entry, error: asCrossdockError(error) };
      }
    });
    for (const result of expanded) {
      if (result.error) {
        const failure = { rule: result.entry.rule, error: result.error, attempts: result.entry.attempts };
        if (result.error.retryable && round < retries) {
          failed.push(result.entry);
          onRetry?.(failure);
        } else {
          failures.push(failure);
        }
      } else {
        for (const item of result.items ?? []) {
          const key = `${formatReference(item.source)} → ${formatReference(item.destination)}`;
          if (!byKey.has(key)) byKey.set(key, item);
        }
      }
    }
    pending = failed;
  }
  const items = [...byKey.values()];
  // One tag list per destination repository replaces a HEAD per tag (and, for a new
  // repository, a HEAD per blob): on a busy registry those requests are most of the cost.
  const destinations = [...new Set(items.map((i) => `${i.destination.registry}/${i.destination.repository}`))];
  const listed = new Map<string, ReadonlySet<string>>();
  await mapLimit(destinations, concurrency, async (name) => {
    const slash = name.indexOf('/');
    const tags = await destinationTags(pool, name.slice(0, slash), name.slice(slash + 1), options);
    if (tags) listed.set(name, tags);
  });
  for (const item of items) {
    const tags = listed.get(`${item.destination.registry}/${item.destination.repository}`);
    if (tags) item.destinationTags = tags;
  }
  return { items, failures };
}

/** The destination's tags; an empty set for a repository that does not exist yet; undefined if unknown. */
async function destinationTags(pool: RegistryPool, registry: string, repository: string, options: CallOptions): Promise<ReadonlySet<string> | undefined> {
  try {
    return new Set(await listTags(pool.client(registry, repository), repository, options));
  } catch (error) {
    if (error instanceof RegistryError && error.status === 404) return new Set();
    // Not allowed to list, say: fall back to asking per tag.
    return undefined;
  }
}

async function expandRule(rule: SyncRule, pool: RegistryPool, options: CallOptions): Promise<SyncItem[]> {
  const { source, selector } = rule;
  if (selector.kind === 'digest') {
    return rule.destinations.map((d) => ({
      rule,
      source: { ...source, digest: selector.digest },
      destination: { registry: d.registry, repository: d.repository, ...(d.tags ? { tag: d.tags[0]! } : {}) },
    }));
  }
  let tags: string[];
  let sourceTags: ReadonlySet<string> | undefined;
  if (selector.kind === 'tags') {
    tags = selector.tags;
  } else {
    const all = await listTags(pool.client(source.registry, source.repository), source.repository, options);
    sourceTags = new Set(all);
    tags = all.filter((t) => !isArtifactTag(t) && (selector.kind === 'all' || selector.pattern.test(t)));
  }
  return tags.flatMap((tag, i) =>
    rule.destinations.map((d) => ({
      rule,
      source: { ...source, tag },
      // Renamed by position, as image-syncer does: `a:v1,v2` → `b:x,y` copies v1 to x and v2 to y.
      destination: { registry: d.registry, repository: d.repository, tag: d.tags?.[i] ?? tag },
      ...(sourceTags ? { sourceTags } : {}),
    })),
  );
}
