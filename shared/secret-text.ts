/**
 * How a secret's text (an environment variable or a Secrets Manager secret) becomes its value:
 * JSON or a comma-separated list, parsed by the secret's schema, every problem listed and the
 * text itself never. One secret at a time, so a function builds the schemas of the secrets it
 * reads and no others.
 */
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

/** JSON text, then `schema`. */
export const JsonText = <T extends z.ZodType>(schema: T) =>
  z.string().transform((text, ctx) => {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      ctx.addIssue({ code: 'custom', message: 'is not valid JSON' });
      return z.NEVER;
    }
  }).pipe(schema);

/** Comma-separated API keys, as in CROSSDOCK_API_KEYS and the api-keys secret. */
export const KeyList = z.string().transform((s) => s.split(',').map((k) => k.trim()).filter(Boolean));

/** One secret: its value when it is given (`text`, or `where` it was read), and when it is not. */
export interface SecretText<T> {
  parse(text: string | undefined, where: string): T;
}

/** `value` gives the default of a secret not given; `text` parses one given. */
export function secretText<T>(value: z.ZodType<T>, text: z.ZodType<T, string>): SecretText<T> {
  return {
    parse: (given, where) => (given === undefined ? value.parse(undefined) : parseText(text, given, where)),
  };
}

/** Parses one secret's text; every problem is listed, the text itself never. */
export function parseText<T>(schema: z.ZodType<T, string>, text: string, where: string): T {
  const parsed = schema.safeParse(text);
  if (!parsed.success) throw new InvalidInputError('ENVIRONMENT_INVALID', parsed.error.issues.map((i) => `${where}${i.path.length ? `.${i.path.join('.')}` : ''}: ${i.message}`));
  return parsed.data;
}
