import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { defaultAuthKind, safeEqual, verifyDelivery, WebhookAuth } from '../../../shared/webhooks/authenticity.ts';
import { context, sample } from './samples.ts';

const SECRET = 'It\'s a Secret to Everybody';

function sign(body: Buffer, secret = SECRET): string {
  return 'sha256=' + createHmac('sha256', secret).update(body).digest('hex');
}

describe('verifyDelivery', () => {
  describe('GitHub HMAC-SHA256', () => {
    const auth: WebhookAuth = { kind: 'hmac-sha256', secret: SECRET };
    const body = sample('github-package-published.json');

    test('a signature over the raw body passes', () => {
      assert.deepEqual(verifyDelivery(auth, body, context({ headers: { 'x-hub-signature-256': sign(body) } })), { ok: true });
    });

    test('GitHub\'s documented example signature passes', () => {
      // docs.github.com "Validating webhook deliveries": secret and payload below.
      const headers = { 'x-hub-signature-256': 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17' };

      assert.deepEqual(verifyDelivery(auth, Buffer.from('Hello, World!'), context({ headers })), { ok: true });
    });

    test('a body changed by one byte fails', () => {
      const changed = Buffer.from(body);
      const at = changed.indexOf('v0.9.0');
      changed.writeUInt8(changed.readUInt8(at) ^ 0x01, at);

      assert.deepEqual(verifyDelivery(auth, changed, context({ headers: { 'x-hub-signature-256': sign(body) } })), { ok: false, reason: 'signature mismatch' });
    });

    test('a wrong secret, a truncated signature or a missing header fails', () => {
      const wrong = context({ headers: { 'x-hub-signature-256': sign(body, 'another secret') } });
      const truncated = context({ headers: { 'x-hub-signature-256': sign(body).slice(0, 20) } });

      assert.deepEqual(verifyDelivery(auth, body, wrong), { ok: false, reason: 'signature mismatch' });
      assert.deepEqual(verifyDelivery(auth, body, truncated), { ok: false, reason: 'signature mismatch' });
      assert.deepEqual(verifyDelivery(auth, body, context()), { ok: false, reason: 'missing X-Hub-Signature-256' });
    });
  });

  describe('static header token', () => {
    const auth: WebhookAuth = { kind: 'header', header: 'Authorization', value: 'Bearer 7d1c0f3a' };
    const body = sample('distribution-push-manifest.json');

    test('the right token passes (header names are matched lower-cased)', () => {
      assert.deepEqual(verifyDelivery(auth, body, context({ headers: { authorization: 'Bearer 7d1c0f3a' } })), { ok: true });
    });

    test('a wrong token, a token of another length or a missing header fails', () => {
      assert.deepEqual(verifyDelivery(auth, body, context({ headers: { authorization: 'Bearer 7d1c0f3b' } })), { ok: false, reason: 'token mismatch' });
      assert.deepEqual(verifyDelivery(auth, body, context({ headers: { authorization: 'Bearer 7d1c0f3a-and-more' } })), { ok: false, reason: 'token mismatch' });
      assert.deepEqual(verifyDelivery(auth, body, context({ headers: { authorization: '' } })), { ok: false, reason: 'missing Authorization header' });
      assert.deepEqual(verifyDelivery(auth, body, context()), { ok: false, reason: 'missing Authorization header' });
    });

    test('JFrog\'s X-JFrog-Event-Auth is read the same way', () => {
      const jfrog: WebhookAuth = { kind: 'header', header: 'X-JFrog-Event-Auth', value: 's3cr3t' };

      assert.deepEqual(verifyDelivery(jfrog, sample('jfrog-docker-pushed.json'), context({ headers: { 'x-jfrog-event-auth': 's3cr3t' } })), { ok: true });
    });
  });

  describe('secret in the URL', () => {
    const auth: WebhookAuth = { kind: 'url-secret', parameter: 'secret', value: 'q9XbVw2' };
    const body = sample('dockerhub-push.json');

    test('the right secret passes, a wrong or missing one fails', () => {
      assert.deepEqual(verifyDelivery(auth, body, context({ query: { secret: 'q9XbVw2' } })), { ok: true });
      assert.deepEqual(verifyDelivery(auth, body, context({ query: { secret: 'q9XbVw3' } })), { ok: false, reason: 'url secret mismatch' });
      assert.deepEqual(verifyDelivery(auth, body, context({ query: { token: 'q9XbVw2' } })), { ok: false, reason: 'missing url secret' });
    });
  });

  test('kind none accepts any delivery', () => {
    assert.deepEqual(verifyDelivery({ kind: 'none' }, Buffer.from('x'), context()), { ok: true });
  });
});

describe('safeEqual', () => {
  test('compares strings of different lengths without throwing', () => {
    assert.equal(safeEqual('short', 'a much longer token value'), false);
    assert.equal(safeEqual('', 'x'), false);
    assert.equal(safeEqual('same', 'same'), true);
  });
});

describe('WebhookAuth', () => {
  test('accepts each kind and rejects unknown keys and empty secrets', () => {
    assert.equal(WebhookAuth.safeParse({ kind: 'hmac-sha256', secret: 's' }).success, true);
    assert.equal(WebhookAuth.safeParse({ kind: 'header', header: 'authorization', value: 'v' }).success, true);
    assert.equal(WebhookAuth.safeParse({ kind: 'url-secret', parameter: 'secret', value: 'v' }).success, true);
    assert.equal(WebhookAuth.safeParse({ kind: 'none' }).success, true);
    assert.equal(WebhookAuth.safeParse({ kind: 'hmac-sha256', secret: '' }).success, false);
    assert.equal(WebhookAuth.safeParse({ kind: 'none', secret: 'x' }).success, false);
    assert.equal(WebhookAuth.safeParse({ kind: 'jwt' }).success, false);
  });
});

describe('defaultAuthKind', () => {
  test('names what each provider can send', () => {
    assert.equal(defaultAuthKind('github'), 'hmac-sha256');
    for (const provider of ['distribution', 'harbor', 'azure', 'jfrog', 'ecr'] as const) assert.equal(defaultAuthKind(provider), 'header', provider);
    for (const provider of ['dockerhub', 'quay', 'acr', 'gar'] as const) assert.equal(defaultAuthKind(provider), 'url-secret', provider);
  });
});
