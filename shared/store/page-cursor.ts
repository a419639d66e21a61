/**
 * The opaque `cursor` of a listing page: base64url JSON of where the next page starts. A cursor
 * that does not decode to the given shape is the caller's mistake (`CURSOR_INVALID`).
 */
import type { z } from 'zod';
import { InvalidInputError } from '../errors.ts';

export function encodeCursor(position: unknown): string {
  return Buffer.from(JSON.stringify(position)).toString('base64url');
}

export function decodeCursor<T>(schema: z.ZodType<T>, cursor: string): T {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new InvalidInputError('CURSOR_INVALID', 'cursor is not one this API gave out');
  return parsed.data;
}
