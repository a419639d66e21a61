/**
 * Platform specs as users write them (`linux/amd64,linux/arm64/v8`): parsed here, matched against
 * an index in platform-filter.ts. No manifest schema is needed to parse one, so a rule's check
 * (shared/rules/rule.ts) does not build them.
 */
import { InvalidInputError } from '../errors.ts';

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
