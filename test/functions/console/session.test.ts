import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createSessionKeys } from '../../../functions/console/session.ts';

const NOW = Date.parse('2026-12-01T12:00:00Z');

describe('console sessions', () => {
  test('a cookie verifies under the keys that issued it and names no API key', () => {
    const keys = createSessionKeys(['key-one-0123456789', 'key-two-0123456789']);
    const { cookie, session } = keys.issue(1, NOW);
    assert.deepEqual(keys.verify(cookie, NOW + 1000), session);
    const decoded = Buffer.from(cookie.split('.')[0]!, 'base64url').toString();
    assert.ok(!decoded.includes('key-two') && !cookie.includes('key-two'), decoded);
  });

  test('a forged, altered, expired or truncated cookie is refused', () => {
    const keys = createSessionKeys(['key-one-0123456789']);
    const { cookie, session } = keys.issue(0, NOW);
    const [body, mac] = cookie.split('.') as [string, string];
    const longer = Buffer.from(JSON.stringify({ ...session, exp: session.exp + 86_400_000 })).toString('base64url');
    assert.equal(keys.verify(`${longer}.${mac}`, NOW), undefined, 'extended expiry with the old signature');
    assert.equal(keys.verify(`${body}.${mac.slice(0, -2)}AA`, NOW), undefined, 'altered signature');
    assert.equal(keys.verify(body, NOW), undefined, 'no signature');
    assert.equal(keys.verify(cookie, session.exp), undefined, 'expired');
    assert.equal(keys.verify('not-base64.%%%', NOW), undefined);
    assert.equal(createSessionKeys(['another-key-0123456789']).verify(cookie, NOW), undefined, 'signed by another key');
  });

  test('removing an API key ends its sessions and only those', () => {
    const before = createSessionKeys(['old-key-0123456789', 'kept-key-0123456789']);
    const old = before.issue(0, NOW).cookie;
    const kept = before.issue(1, NOW).cookie;
    const after = createSessionKeys(['kept-key-0123456789', 'new-key-0123456789']);
    assert.equal(after.verify(old, NOW), undefined);
    assert.ok(after.verify(kept, NOW));
  });

  test('the CSRF token is per session and checked exactly', () => {
    const keys = createSessionKeys(['key-one-0123456789']);
    const a = keys.issue(0, NOW).session;
    const b = keys.issue(0, NOW).session;
    const token = keys.csrfToken(a);
    assert.notEqual(token, keys.csrfToken(b));
    assert.equal(keys.checkCsrf(a, token), true);
    assert.equal(keys.checkCsrf(b, token), false);
    assert.equal(keys.checkCsrf(a, undefined), false);
    assert.equal(keys.checkCsrf(a, token.slice(1)), false);
  });

  test('an API key matches by its whole value only', () => {
    const keys = createSessionKeys(['key-one-0123456789', 'key-two-0123456789']);
    assert.equal(keys.matchApiKey('key-two-0123456789'), 1);
    assert.equal(keys.matchApiKey('key-two-012345678'), -1);
    assert.equal(keys.matchApiKey(''), -1);
  });
});
