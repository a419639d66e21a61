/**
 * The signature every webhook notification carries, after GitHub's X-Hub-Signature-256:
 * `X-Crossdock-Signature-256: sha256=<hex HMAC-SHA256 of the raw body under the target's secret>`.
 * A receiver computes the same HMAC over the bytes it received (before parsing them) and compares
 * in constant time.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-crossdock-signature-256';

export function signBody(secret: string, body: string | Uint8Array): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True when `header` is the signature of `body` under `secret`; constant time in the signature. */
export function verifySignature(secret: string, body: string | Uint8Array, header: string | undefined): boolean {
  if (header === undefined) return false;
  const expected = Buffer.from(signBody(secret, body));
  const given = Buffer.from(header.trim());
  return given.length === expected.length && timingSafeEqual(given, expected);
}
