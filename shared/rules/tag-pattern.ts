/**
 * Tag filters are user input: they run on RE2 (re2js), whose matching time is linear in the
 * tag's length whatever the pattern, so `(a+)+$` cannot stall a worker.
 */
import { RE2JS } from 're2js';
import { InvalidInputError } from '../errors.ts';

export const MAX_PATTERN_LENGTH = 1024;

export interface TagPattern {
  readonly source: string;
  test(tag: string): boolean;
}

/**
 * Compiles a tag regex. `anchored` (rules, subscriptions) must match the whole tag;
 * unanchored (image-syncer's `/regex/`, Go's MatchString) may match anywhere in it.
 */
export function compileTagPattern(source: string, options: { anchored: boolean }): TagPattern {
  if (source.length > MAX_PATTERN_LENGTH) {
    throw new InvalidInputError('INVALID_TAG_PATTERN', `tag pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    throw new InvalidInputError('INVALID_TAG_PATTERN', `invalid tag pattern "${source}": ${(error as Error).message.replace(/^error parsing regexp: /, '')} (RE2 syntax)`, { cause: error });
  }
  return options.anchored
    ? { source, test: (tag) => compiled.matches(tag) }
    : { source, test: (tag) => compiled.matcher(tag).find() };
}
