/**
 * Tag filters are user input: they run on RE2 (re2js), whose matching time is linear in the
 * tag's length whatever the pattern, so `(a+)+$` cannot stall a worker. Linear is not cheap,
 * though: the cost is program size × tag length, and counted repetitions inflate the program
 * (`(|a){1000}` compiles to 5,000 instructions, 0.1 s a match). Patterns are therefore bounded
 * by compiled size, refused before an expensive compile when the estimate is already far over.
 */
import { RE2JS } from 're2js';
import { InvalidInputError } from '../errors.ts';
import { inspectPattern } from './pattern-syntax.ts';

export const MAX_PATTERN_LENGTH = 1024;
/**
 * Compiled RE2 instructions. A pattern at the limit matches a 128-character tag (the longest
 * the OCI grammar allows) in about 10 ms; ordinary patterns (`v[0-9]+(\.[0-9]+){0,3}`) use
 * under 100.
 */
export const MAX_PATTERN_PROGRAM = 1000;
// The estimate may run up to about twice the real size; beyond this, compiling alone is costly.
const MAX_ESTIMATE = 4 * MAX_PATTERN_PROGRAM;

export interface TagPattern {
  readonly source: string;
  test(tag: string): boolean;
}

/**
 * Compiles a tag regex. `anchored` (rules, subscriptions) must match the whole tag, and accepts
 * image-syncer's `/regex/` form by dropping the delimiting slashes (a tag never holds a `/`, so
 * they could never match literally); unanchored (image-syncer's `/regex/` after the slashes are
 * taken off, Go's MatchString) may match anywhere in it.
 */
export function compileTagPattern(text: string, options: { anchored: boolean }): TagPattern {
  const source = options.anchored ? stripSlashes(text) : text;
  if (source.length > MAX_PATTERN_LENGTH) {
    throw invalid(`tag pattern longer than ${MAX_PATTERN_LENGTH} characters`);
  }
  const syntax = inspectPattern(source);
  if (syntax.unsupported !== undefined) {
    throw invalid(`invalid tag pattern "${source}": ${syntax.unsupported} is not supported (RE2 syntax, which matches in linear time)`);
  }
  if (syntax.estimatedSize > MAX_ESTIMATE) throw tooComplex(source, `about ${syntax.estimatedSize}`);
  let compiled: RE2JS;
  try {
    compiled = RE2JS.compile(source);
  } catch (error) {
    throw invalid(`invalid tag pattern "${source}": ${(error as Error).message.replace(/^error parsing regexp: /, '')} (RE2 syntax)`, error);
  }
  if (compiled.programSize() > MAX_PATTERN_PROGRAM) throw tooComplex(source, String(compiled.programSize()));
  return options.anchored
    ? { source, test: (tag) => compiled.matches(tag) }
    : { source, test: (tag) => compiled.matcher(tag).find() };
}

function stripSlashes(text: string): string {
  return text.length >= 2 && text.startsWith('/') && text.endsWith('/') ? text.slice(1, -1) : text;
}

function tooComplex(source: string, size: string): InvalidInputError {
  const shown = source.length > 80 ? `${source.slice(0, 80)}…` : source;
  return invalid(`tag pattern "${shown}" is too complex: it compiles to ${size} instructions, over the limit of ${MAX_PATTERN_PROGRAM} (counted repetitions such as {n} multiply the size)`);
}

function invalid(message: string, cause?: unknown): InvalidInputError {
  return new InvalidInputError('TAG_PATTERN_INVALID', message, cause === undefined ? {} : { cause });
}
