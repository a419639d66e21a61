/**
 * Is a delivery genuine? Each webhook source is configured with one way to tell, checked over
 * the raw body before anything is parsed. Secrets and signatures are compared in constant time:
 * both sides are hashed first, so timingSafeEqual sees equal lengths and a length never leaks.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';
import { z } from 'zod';
import type { DeliveryContext } from './delivery.ts';
import type { Provider } from './push-event.ts';

export const WebhookAuth = z.discriminatedUnion('kind', [
  /** GitHub: `X-Hub-Signature-256: sha256=<hex HMAC-SHA256(secret, raw body)>`. */
  z.strictObject({ kind: z.literal('hmac-sha256'), secret: z.string().min(1) }),
  /** A static token in a header: distribution, Harbor, Azure, JFrog, an EventBridge connection. */
  z.strictObject({ kind: z.literal('header'), header: z.string().min(1), value: z.string().min(1) }),
  /** A secret query parameter in the hook URL: Docker Hub, Quay, Alibaba ACR, Pub/Sub. */
  z.strictObject({ kind: z.literal('url-secret'), parameter: z.string().min(1), value: z.string().min(1) }),
  z.strictObject({ kind: z.literal('none') }),
]);
export type WebhookAuth = z.infer<typeof WebhookAuth>;
export type WebhookAuthKind = WebhookAuth['kind'];

export type Verification = { ok: true } | { ok: false; reason: string };

const SIGNATURE_HEADER = 'x-hub-signature-256';
const SIGNATURE_PREFIX = 'sha256=';

export function verifyDelivery(auth: WebhookAuth, rawBody: Buffer, context: DeliveryContext): Verification {
  switch (auth.kind) {
    case 'hmac-sha256': {
      const signature = context.headers[SIGNATURE_HEADER];
      if (!signature) return { ok: false, reason: 'missing X-Hub-Signature-256' };
      const expected = SIGNATURE_PREFIX + createHmac('sha256', auth.secret).update(rawBody).digest('hex');
      return safeEqual(signature, expected) ? { ok: true } : { ok: false, reason: 'signature mismatch' };
    }
    case 'header': {
      const value = context.headers[auth.header.toLowerCase()];
      if (!value) return { ok: false, reason: `missing ${auth.header} header` };
      return safeEqual(value, auth.value) ? { ok: true } : { ok: false, reason: 'token mismatch' };
    }
    case 'url-secret': {
      const value = context.query[auth.parameter];
      if (!value) return { ok: false, reason: 'missing url secret' };
      return safeEqual(value, auth.value) ? { ok: true } : { ok: false, reason: 'url secret mismatch' };
    }
    case 'none':
      return { ok: true };
  }
}

/** Constant-time equality for strings of any lengths. */
export function safeEqual(a: string, b: string): boolean {
  return timingSafeEqual(sha256(a), sha256(b));
}

function sha256(value: string): Buffer {
  return createHash('sha256').update(value, 'utf8').digest();
}

// What each provider can send, per the webhook samples' README.
const DEFAULT_AUTH_KIND: Record<Provider, WebhookAuthKind> = {
  distribution: 'header', // endpoint `headers:` (Authorization: Bearer …); no signing
  harbor: 'header', // the policy's "Auth Header", sent as Authorization unchanged
  dockerhub: 'url-secret', // no authenticity at all: only the URL can hold a secret
  acr: 'url-secret', // none documented
  quay: 'url-secret', // mTLS client certificate otherwise, impractical behind API Gateway
  github: 'hmac-sha256',
  // Pub/Sub push signs an OIDC JWT in Authorization; checking it needs Google's keys online,
  // and the header changes on every request, so the push endpoint URL carries a secret instead.
  gar: 'url-secret',
  ecr: 'header', // the EventBridge connection's API-key header (API destination)
  azure: 'header', // custom static headers only
  jfrog: 'header', // X-JFrog-Event-Auth, the plain secret (signing mode is unconfirmed)
};

export function defaultAuthKind(provider: Provider): WebhookAuthKind {
  return DEFAULT_AUTH_KIND[provider];
}
