import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../../shared/errors.ts';
import {
  connectionProblem,
  declareRegistries,
  DeclaredRegistries,
  registryProblem,
  schemeProblem,
  undeclaredProblems,
} from '../../../shared/oci/egress-policy.ts';

// The allowed-hosts model as pure decisions on names and resolved addresses: these tests open
// no socket and resolve no name, so a wrong decision here can never send a packet anywhere.

describe('DeclaredRegistries', () => {
  const declared = new DeclaredRegistries(['registry.internal', 'localhost:5000', '127.0.0.1:6000', 'https://ghcr.io/org', '*.dkr.ecr.*.amazonaws.com', 'Docker.io']);

  test('a host, host:port, host/namespace or URL key declares its registry', () => {
    assert.equal(declared.declares('registry.internal'), true);
    assert.equal(declared.declares('localhost:5000'), true);
    assert.equal(declared.declares('127.0.0.1:6000'), true);
    assert.equal(declared.declares('ghcr.io'), true);
    assert.equal(declared.declares('docker.io'), true);
    assert.equal(declared.declares('index.docker.io'), true);
  });

  test('another port of a declared host is another registry, not declared', () => {
    assert.equal(declared.declares('localhost:5001'), false);
    assert.equal(declared.declares('registry.internal:8443'), false);
    assert.equal(declared.declares('127.0.0.1:6001'), false);
  });

  test('a pattern declares matching names, one label per star, never an IP address', () => {
    assert.equal(declared.declares('123456789012.dkr.ecr.eu-west-1.amazonaws.com'), true);
    assert.equal(declared.declares('a.b.dkr.ecr.eu-west-1.amazonaws.com'), false);
    assert.equal(declared.declares('dkr.ecr.eu-west-1.amazonaws.com'), false);
    assert.equal(declared.declares('123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.example'), false);
    const digits = new DeclaredRegistries(['*.*.0.1', '*.*.0.1:5000']);
    assert.equal(digits.declares('10.0.0.1'), false);
    assert.equal(digits.declares('10.0.0.1:5000'), false);
    assert.equal(digits.declares('a.b.0.1'), true);
  });

  test('explicit declaration is by exact host[:port] only, never through a pattern', () => {
    assert.equal(declared.declaresExplicitly('localhost:5000'), true);
    assert.equal(declared.declaresExplicitly('123456789012.dkr.ecr.eu-west-1.amazonaws.com'), false);
  });

  test('patterns that would declare a whole domain are refused, naming each', () => {
    assert.throws(() => new DeclaredRegistries(['*', '*.com', 'registry.*.com']), (error: unknown) => {
      assert.ok(error instanceof InvalidInputError);
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.equal(error.problems.length, 3);
      assert.match(error.problems.join('\n'), /pattern "\*\.com"/);
      return true;
    });
  });

  test('options on a pattern are refused: credentials belong to an exact host', () => {
    assert.throws(() => declareRegistries({ '*.dkr.ecr.*.amazonaws.com': { username: 'AWS' } }), /pattern "\*\.dkr\.ecr\.\*\.amazonaws\.com" only declares hosts/);
    const declared = declareRegistries({ '*.dkr.ecr.*.amazonaws.com': {}, 'localhost:5000': { insecure: true } }, ['hub.internal']);
    assert.deepEqual(declared.list(), ['*.dkr.ecr.*.amazonaws.com', 'hub.internal', 'localhost:5000']);
  });
});

describe('registryProblem (requests, rules, subscriptions, tasks)', () => {
  const declared = new DeclaredRegistries(['169.254.169.254', 'metadata.google.internal', 'localhost:5000', '[fe80::1]:5000']);

  test('an undeclared registry is refused with its name and how to declare it', () => {
    const problem = registryProblem(declared, '127.0.0.1:9999');
    assert.match(problem ?? '', /registry 127\.0\.0\.1:9999 is not declared/);
    assert.match(problem ?? '', /CROSSDOCK_REGISTRIES/);
    assert.match(problem ?? '', /registries:/);
  });

  test('metadata and link-local registries are refused even when declared', () => {
    assert.match(registryProblem(declared, '169.254.169.254') ?? '', /metadata address; crossdock never contacts it/);
    assert.match(registryProblem(declared, '169.254.10.10:80') ?? '', /link-local address/);
    assert.match(registryProblem(declared, '[fe80::1]:5000') ?? '', /link-local address/);
    assert.match(registryProblem(declared, 'metadata.google.internal') ?? '', /instance-metadata service/);
  });

  test('a declared registry has no problem', () => {
    assert.equal(registryProblem(declared, 'localhost:5000'), undefined);
  });

  test('undeclaredProblems names the field of every refused registry at once, and nothing without a policy', () => {
    const problems = undeclaredProblems(declared, [['source', '10.0.0.1:5000'], ['destinations.0', 'localhost:5000'], ['destinations.1', '169.254.169.254']]);
    assert.equal(problems.length, 2);
    assert.match(problems[0]!, /^source: registry 10\.0\.0\.1:5000 is not declared/);
    assert.match(problems[1]!, /^destinations\.1: registry 169\.254\.169\.254/);
    assert.deepEqual(undeclaredProblems(undefined, [['source', '169.254.169.254']]), []);
  });
});

describe('connectionProblem (on the resolved address, at connect time)', () => {
  const declared = new DeclaredRegistries(['registry.internal', 'localhost:5000', '10.1.2.3:5000', '*.corp.example.com', 'metadata.google.internal']);

  test('metadata and link-local addresses are refused whatever name resolved to them, declared or not', () => {
    assert.match(connectionProblem(declared, 'registry.internal', '169.254.169.254') ?? '', /resolves to 169\.254\.169\.254, a metadata address/);
    assert.match(connectionProblem(declared, 'localhost:5000', 'fd00:ec2::254') ?? '', /metadata address/);
    assert.match(connectionProblem(declared, 'registry.internal', '169.254.1.1') ?? '', /link-local/);
    assert.match(connectionProblem(declared, 'registry.internal', 'fe80::2') ?? '', /link-local/);
    assert.match(connectionProblem(declared, 'metadata.google.internal', '8.8.8.8') ?? '', /instance-metadata service/);
    assert.match(connectionProblem(declared, 'registry.internal', '0.0.0.0') ?? '', /unusable/);
  });

  test('loopback and private addresses only for a host declared explicitly', () => {
    assert.equal(connectionProblem(declared, 'localhost:5000', '127.0.0.1'), undefined);
    assert.equal(connectionProblem(declared, 'localhost:5000', '::1'), undefined);
    assert.equal(connectionProblem(declared, 'registry.internal', '10.9.9.9'), undefined);
    assert.equal(connectionProblem(declared, '10.1.2.3:5000', '10.1.2.3'), undefined);
    assert.match(connectionProblem(declared, 'localhost:5001', '127.0.0.1') ?? '', /loopback address, and is not declared explicitly/);
    assert.match(connectionProblem(declared, '10.1.2.3:22', '10.1.2.3') ?? '', /private address/);
    // A pattern declares a registry by name, but never vouches for an internal address.
    assert.match(connectionProblem(declared, 'build.corp.example.com', '192.168.0.10') ?? '', /private address, and is not declared explicitly/);
    assert.match(connectionProblem(declared, 'build.corp.example.com', '127.0.0.1') ?? '', /loopback/);
  });

  test('public addresses are allowed: storage backends and CDNs are not declared', () => {
    assert.equal(connectionProblem(declared, 'build.corp.example.com', '203.0.113.7'), undefined);
    assert.equal(connectionProblem(declared, 'prod-registry-storage.s3.amazonaws.com', '52.216.1.1'), undefined);
  });
});

describe('schemeProblem (redirects and token realms)', () => {
  test('HTTPS is always allowed', () => {
    assert.equal(schemeProblem(new URL('https://cdn.example/blob'), { origin: 'https://registry.example', insecure: false }), undefined);
  });

  test('plain HTTP only when the registry itself is spoken to over HTTP or declared insecure', () => {
    assert.match(schemeProblem(new URL('http://cdn.example/blob'), { origin: 'https://registry.example', insecure: false }) ?? '', /not HTTPS/);
    assert.equal(schemeProblem(new URL('http://cdn.example/blob'), { origin: 'http://127.0.0.1:5000', insecure: false }), undefined);
    assert.equal(schemeProblem(new URL('http://cdn.example/blob'), { origin: 'https://registry.example', insecure: true }), undefined);
  });

  test('other schemes are refused', () => {
    assert.match(schemeProblem(new URL('file:///etc/passwd'), { origin: 'http://127.0.0.1:5000', insecure: true }) ?? '', /not HTTPS/);
  });
});
