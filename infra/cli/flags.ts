/** Flag parsing on node:util parseArgs (strict: an unknown flag is an error, not ignored). */
import { parseArgs, type ParseArgsConfig } from 'node:util';
import { InvalidInputError } from '../../shared/errors.ts';

type Options = NonNullable<ParseArgsConfig['options']>;
export type ParsedFlags<T extends Options> = ReturnType<typeof parseArgs<{ options: T; strict: true; allowPositionals: true }>>['values'];

export function parseFlags<T extends Options>(args: string[], options: T): { values: ParsedFlags<T>; positionals: string[] } {
  try {
    const parsed = parseArgs({ args, options, strict: true, allowPositionals: true });
    return { values: parsed.values as ParsedFlags<T>, positionals: parsed.positionals };
  } catch (error) {
    // parseArgs says e.g. "Unknown option '--prox'. To specify a positional argument …": keep the first sentence.
    const message = (error as Error).message.split('. ')[0]!.replace(/\.$/, '');
    throw new InvalidInputError('FLAG_INVALID', message, { cause: error });
  }
}

export function positiveInt(value: string | undefined, flag: string, allowZero = false): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < (allowZero ? 0 : 1) || n > 10_000) {
    throw new InvalidInputError('FLAG_INVALID', `${flag} takes a whole number ${allowZero ? 'from 0' : 'from 1'} to 10000, got "${value}"`);
  }
  return n;
}
