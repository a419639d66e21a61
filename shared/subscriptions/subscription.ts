/**
 * A subscription keeps a destination repository in step with the newest matching tags of a
 * source repository, on a schedule. Strict schema: unknown fields are problems, not ignored.
 */
import { z } from 'zod';
import { parsePlatforms } from '../oci/platform-filter.ts';
import { parseRepositoryName } from '../oci/reference.ts';
import { DOCKER_HUB, normalizeRegistry } from '../oci/reference.ts';
import { compileTagPattern } from '../patterns/tag-pattern.ts';
import { parseSchedule } from './schedule.ts';

/**
 * How many newest tags a subscription may follow, per source: Docker Hub counts every manifest
 * GET against an hourly pull allowance, so it gets the smallest; elsewhere the cost is our
 * own time (one config read per candidate tag when ordering by push time).
 */
export const MAX_LATEST: Record<string, number> = { [DOCKER_HUB]: 25, default: 100 };
/** Candidate tags whose push time is read, at most, per run (the last listed first). */
export const MAX_CANDIDATES = 500;
/** Docker Hub counts each first read of an image against the pull allowance: fewer candidates. */
export const MAX_CANDIDATES_DOCKER_HUB = 100;
/** Build times remembered per subscription, by digest (the oldest forgotten first). */
export const MAX_CACHED_DIGESTS = 600;

const Repo = z.strictObject({
  registry: z.string().trim().min(1).transform(normalizeRegistry),
  repository: z.string().trim().min(1),
});

export const SubscriptionInput = z.strictObject({
  name: z.string().trim().min(1).max(200),
  enabled: z.boolean().default(true),
  source: Repo,
  destination: Repo,
  /** RE2, matched against the whole tag. */
  tagPattern: z.string().max(1024).default('.*'),
  latest: z.number().int().min(1),
  /** `pushed`: newest image first (config `created`); `semver`: highest version first. */
  order: z.enum(['pushed', 'semver']).default('pushed'),
  platforms: z.array(z.string()).max(16).default([]),
  overwrite: z.boolean().default(true),
  /** A rate (`15m`, `6h`, `1d`, at least 5m) or a five-field cron expression in UTC. */
  schedule: z.string().min(1).default('1h'),
});
export type SubscriptionInput = z.infer<typeof SubscriptionInput>;

export const SubscriptionRun = z.strictObject({
  at: z.string(),
  considered: z.number().int(),
  enqueued: z.number().int(),
  upToDate: z.number().int(),
  tasks: z.array(z.string()),
  errors: z.array(z.string()),
  durationMs: z.number().int(),
  /** The execution its tasks belong to (`GET /executions/:id`). */
  executionId: z.string().optional(),
});
export type SubscriptionRun = z.infer<typeof SubscriptionRun>;

export const Subscription = SubscriptionInput.extend({
  id: z.string().min(1),
  createdAt: z.string(),
  updatedAt: z.string(),
  nextRunAt: z.string(),
  lastRun: SubscriptionRun.optional(),
  /** Build time (epoch ms; 0 = none) of each source digest read so far, so no image is read twice. */
  createdByDigest: z.record(z.string(), z.number()).optional(),
});
export type Subscription = z.infer<typeof Subscription>;

export function maxLatest(registry: string): number {
  return MAX_LATEST[registry] ?? MAX_LATEST.default!;
}

/** Problems zod cannot see: pattern, platforms, names, limits, schedule, destination ≠ source. */
export function subscriptionProblems(input: SubscriptionInput): string[] {
  const problems: string[] = [];
  const check = (field: string, fn: () => unknown) => {
    try {
      fn();
    } catch (error) {
      problems.push(`${field}: ${(error as Error).message}`);
    }
  };
  check('tagPattern', () => compileTagPattern(input.tagPattern, { anchored: true }));
  if (input.platforms.length > 0) check('platforms', () => parsePlatforms(input.platforms));
  check('source', () => parseRepositoryName(`${input.source.registry}/${input.source.repository}`));
  check('destination', () => parseRepositoryName(`${input.destination.registry}/${input.destination.repository}`));
  check('schedule', () => parseSchedule(input.schedule));
  const limit = maxLatest(input.source.registry);
  if (input.latest > limit) problems.push(`latest: at most ${limit} tags for ${input.source.registry}`);
  if (input.source.registry === input.destination.registry && input.source.repository === input.destination.repository) {
    problems.push('destination: the destination is the source itself');
  }
  return problems;
}
