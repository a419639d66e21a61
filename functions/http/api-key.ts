/**
 * API-key authentication: `Authorization: Bearer <key>` or `x-api-key: <key>`, compared in
 * constant time against every configured key (hashing both sides keeps lengths out of it).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { MiddlewareHandler } from 'hono';
import { errorResponse } from './errors.ts';

export function apiKeyAuth(keys: readonly string[]): MiddlewareHandler {
  if (keys.length === 0) throw new Error('apiKeyAuth needs at least one key');
  const digests = keys.map(sha256);
  return async function requireApiKey(c, next) {
    const header = c.req.header('authorization');
    const presented = header?.toLowerCase().startsWith('bearer ') ? header.slice(7).trim() : c.req.header('x-api-key');
    if (!presented) return errorResponse(c, 'UNAUTHENTICATED', 'an API key is required (Authorization: Bearer <key> or x-api-key)');
    const candidate = sha256(presented);
    let ok = false;
    for (const digest of digests) ok = timingSafeEqual(digest, candidate) || ok;
    if (!ok) return errorResponse(c, 'UNAUTHENTICATED', 'the API key is not valid');
    await next();
  };
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value).digest();
}
