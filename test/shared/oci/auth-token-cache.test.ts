// A client's bearer tokens are cached per set of scopes, but not without bound (issue 8): a service
// copying across many repositories kept every token it was ever issued, expired or not.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { silentLogger } from '../../../shared/log.ts';
import { Authenticator, MAX_CACHED_TOKENS } from '../../../shared/oci/auth.ts';
import { createTransport, type Transport } from '../../../shared/oci/transport.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { createFakeClock, type FakeClock } from './fixtures.ts';

describe('bearer token cache', () => {
  let registry: TestRegistry;
  let transport: Transport;
  let clock: FakeClock;
  let auth: Authenticator;

  before(async () => {
    registry = await startRegistry({ name: 'token-cache', auth: 'token' });
    transport = createTransport(registry.host, {}, 'crossdock-test');
    clock = createFakeClock();
    assert.ok(registry.credentials);
    auth = new Authenticator(transport, { credentials: registry.credentials, userAgent: 'crossdock-test', logger: silentLogger, now: clock.now });
  });

  after(async () => {
    await transport?.close();
    await registry?.close();
  });

  const scope = (i: number) => [`repository:many/app-${i}:pull`];
  const issued = () => registry.tokenIssuer!.issued;

  test('keeps at most MAX_CACHED_TOKENS, the most recently used, and drops expired ones first', async () => {
    const repositories = MAX_CACHED_TOKENS + 40;
    for (let i = 0; i < repositories; i++) assert.match((await auth.authorization(scope(i))) ?? '', /^Bearer /);
    assert.equal(issued(), repositories);
    assert.equal(auth.cachedTokens, MAX_CACHED_TOKENS);

    // The newest are still cached; the oldest were let go and are fetched again.
    await auth.authorization(scope(repositories - 1));
    assert.equal(issued(), repositories);
    await auth.authorization(scope(0));
    assert.equal(issued(), repositories + 1);

    // Once they have all expired, the next new scope clears them out.
    await clock.sleep(registry.tokenIssuer!.expiresIn * 1000 + 1);
    await auth.authorization(scope(repositories));
    assert.equal(auth.cachedTokens, 1);
  });
});
