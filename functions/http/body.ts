/** Reads a JSON body against a zod schema; every problem is named in one InvalidInputError. */
import type { Context } from 'hono';
import type { z } from 'zod';
import { InvalidInputError } from '../../shared/errors.ts';
import { zodProblems } from './errors.ts';

export async function readJson<S extends z.ZodType>(c: Context, schema: S): Promise<z.output<S>> {
  let body: unknown;
  try {
    body = await c.req.json();
  } catch {
    throw new InvalidInputError('JSON_INVALID', 'the body is not valid JSON');
  }
  const parsed = schema.safeParse(body);
  if (!parsed.success) throw new InvalidInputError('REQUEST_INVALID', zodProblems(parsed.error));
  return parsed.data;
}

export function readQuery<S extends z.ZodType>(c: Context, schema: S): z.output<S> {
  const parsed = schema.safeParse(c.req.query());
  if (!parsed.success) throw new InvalidInputError('REQUEST_INVALID', zodProblems(parsed.error, 'query'));
  return parsed.data;
}
