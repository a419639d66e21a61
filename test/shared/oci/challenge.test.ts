import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { challengeScopes, parseChallenges } from '../../../shared/oci/challenge.ts';

describe('parseChallenges', () => {
  test('reads a Bearer challenge as Docker Hub sends it', () => {
    const header = 'Bearer realm="https://auth.docker.io/token",service="registry.docker.io",scope="repository:library/alpine:pull"';

    assert.deepEqual(parseChallenges(header), [
      {
        scheme: 'bearer',
        params: { realm: 'https://auth.docker.io/token', service: 'registry.docker.io', scope: 'repository:library/alpine:pull' },
      },
    ]);
  });

  test('reads a Basic challenge as Distribution\'s htpasswd sends it', () => {
    assert.deepEqual(parseChallenges('Basic realm="crossdock-test"'), [{ scheme: 'basic', params: { realm: 'crossdock-test' } }]);
  });

  test('lowercases the scheme and parameter names but not the values', () => {
    assert.deepEqual(parseChallenges('BEARER Realm="https://Auth.example/Token", SERVICE=Registry'), [
      { scheme: 'bearer', params: { realm: 'https://Auth.example/Token', service: 'Registry' } },
    ]);
  });

  test('splits several challenges in one header and in several headers', () => {
    const one = parseChallenges('Basic realm="basic", Bearer realm="https://a.example/token",service="a"');
    const many = parseChallenges(['Basic realm="basic"', 'Bearer realm="https://a.example/token",service="a"']);

    const expected = [
      { scheme: 'basic', params: { realm: 'basic' } },
      { scheme: 'bearer', params: { realm: 'https://a.example/token', service: 'a' } },
    ];
    assert.deepEqual(one, expected);
    assert.deepEqual(many, expected);
  });

  test('keeps commas, equals signs and escaped quotes inside quoted values', () => {
    const [challenge] = parseChallenges('Bearer realm="https://a.example/token?x=1,y=2",error="say \\"hi\\"",scope="a b"');

    assert.deepEqual(challenge?.params, { realm: 'https://a.example/token?x=1,y=2', error: 'say "hi"', scope: 'a b' });
  });

  test('tolerates spaces around = and unquoted values', () => {
    assert.deepEqual(parseChallenges('Bearer realm = "https://a.example/token" , service = reg.example'), [
      { scheme: 'bearer', params: { realm: 'https://a.example/token', service: 'reg.example' } },
    ]);
  });

  test('still finds a Bearer challenge after a token68 one', () => {
    const challenges = parseChallenges('Negotiate YII=, Bearer realm="https://a.example/token"');

    assert.deepEqual(challenges.find((c) => c.scheme === 'bearer')?.params, { realm: 'https://a.example/token' });
  });

  test('answers no challenge for a missing or empty header', () => {
    assert.deepEqual(parseChallenges(undefined), []);
    assert.deepEqual(parseChallenges(''), []);
    assert.deepEqual(parseChallenges([]), []);
  });
});

describe('challengeScopes', () => {
  test('splits a space-separated scope and drops empty ones', () => {
    const [challenge] = parseChallenges('Bearer realm="r",scope="repository:a:pull  repository:b:pull,push"');
    assert.ok(challenge);

    assert.deepEqual(challengeScopes(challenge), ['repository:a:pull', 'repository:b:pull,push']);
    assert.deepEqual(challengeScopes({ scheme: 'bearer', params: {} }), []);
  });
});
