import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { createCloudCredentials } from '../../../shared/cloud/cloud-credentials.ts';
import type { CloudRegistryInput, EcrSettings } from '../../../shared/cloud/cloud-registry-options.ts';
import { createLogger } from '../../../shared/log.ts';
import { CopyEngine } from '../../../shared/oci/copy.ts';
import { declareRegistries } from '../../../shared/oci/egress-policy.ts';
import { RegistryDirectory } from '../../../shared/oci/registry-directory.ts';
import { RegistryPool } from '../../../shared/oci/registry-pool.ts';
import { BASE_ACCOUNT, BASE_CREDENTIALS, TOKEN_LIFETIME_MS, startControlPlane, type ControlPlane } from '../../support/aws-control-plane.ts';
import { closeRegistryClients, listTags, pushImage } from '../../support/images.ts';
import { startRegistry, type TestRegistry } from '../../support/registry.ts';
import { assertImageAt } from '../oci/destination.ts';
import { ref } from '../oci/fixtures.ts';

// ECR as a destination, against the scripted STS/ECR control plane (test/support/aws-control-plane.ts:
// no AWS is reachable here) in front of a real Distribution registry whose token issuer accepts
// only `AWS:<token>` the plane issued, and grants push only on repositories that exist.

let t = Date.now();
const now = () => t;
let plane: ControlPlane;
let src: TestRegistry;
let dst: TestRegistry;
const logs: string[] = [];
const logger = createLogger({ level: 'debug', sink: (line) => logs.push(line) });

const SETTINGS = {
  tagMutability: 'IMMUTABLE' as const,
  scanOnPush: true,
  encryption: { type: 'KMS' as const, kmsKey: 'arn:aws:kms:us-east-1:111111111111:key/mirror' },
  tags: { team: 'platform' },
};

function ecrEntry(createRepository: EcrSettings['createRepository'] = SETTINGS): CloudRegistryInput {
  return { ecr: { region: 'us-east-1', accountId: BASE_ACCOUNT, endpoint: plane.ecrEndpoint, credentials: BASE_CREDENTIALS, createRepository } };
}

/** A worker's registry parts as the wiring builds them: one pool, its ECR credentials, one engine. */
function worker(registries: Record<string, CloudRegistryInput>): CopyEngine {
  const declared = declareRegistries({ ...registries, ...Object.fromEntries(plane.hosts.map((h) => [h, {}])) });
  const credentials = createCloudCredentials(registries, { logger, defaultChain: false, declared, now });
  return new CopyEngine({ pool: new RegistryPool({ directory: new RegistryDirectory(registries), credentials, logger }), logger });
}

describe('ECR as a destination', () => {
  before(async () => {
    plane = await startControlPlane({ now });
    [src, dst] = await Promise.all([
      startRegistry({ name: 'ecr-src' }),
      startRegistry({ name: 'ecr-dst', auth: 'token', token: plane.registryAuth(BASE_ACCOUNT) }),
    ]);
  });
  after(async () => {
    await Promise.all([src?.close(), dst?.close(), plane?.close()]);
    await closeRegistryClients();
  });

  test('the first push to a new repository creates it with the destination\'s settings', async () => {
    const pushed = await pushImage(src, 'team/created', { tag: 'v1', seed: 'ecr-created' });
    const engine = worker({ [src.host]: {}, [dst.host]: ecrEntry() });
    try {
      const result = await engine.copyImage(ref(src.host, 'team/created', 'v1'), ref(dst.host, 'mirror/created'));
      assert.equal(result.status, 'copied');
    } finally {
      await engine.close();
    }
    await assertImageAt(dst, 'mirror/created', 'v1', pushed);
    const created = plane.calls.filter((c) => c.action === 'CreateRepository');
    assert.equal(created.length, 1, JSON.stringify(created));
    assert.deepEqual(created[0]!.body, {
      repositoryName: 'mirror/created',
      registryId: BASE_ACCOUNT,
      imageTagMutability: 'IMMUTABLE',
      imageScanningConfiguration: { scanOnPush: true },
      encryptionConfiguration: { encryptionType: 'KMS', kmsKey: SETTINGS.encryption.kmsKey },
      tags: [{ Key: 'team', Value: 'platform' }],
    });
  });

  test('ECR as a source: the same token pulls, and nothing is created at the source', async () => {
    const pushed = await pushImage(src, 'team/roundtrip', { tag: 'v1', seed: 'ecr-roundtrip' });
    const engine = worker({ [src.host]: {}, [dst.host]: ecrEntry() });
    try {
      await engine.copyImage(ref(src.host, 'team/roundtrip', 'v1'), ref(dst.host, 'mirror/roundtrip'));
      const creates = plane.count('CreateRepository');
      const result = await engine.copyImage(ref(dst.host, 'mirror/roundtrip', 'v1'), ref(src.host, 'back/roundtrip'));
      assert.equal(result.status, 'copied');
      assert.equal(plane.count('CreateRepository'), creates, 'a pull creates nothing');
    } finally {
      await engine.close();
    }
    await assertImageAt(src, 'back/roundtrip', 'v1', pushed);
  });

  test('two workers pushing to the same new repository at once both succeed; the second creation is "already exists"', async () => {
    const pushed = await pushImage(src, 'team/raced', { tag: 'v1', seed: 'ecr-raced' });
    const before = plane.calls.length;
    const engines = [worker({ [src.host]: {}, [dst.host]: ecrEntry() }), worker({ [src.host]: {}, [dst.host]: ecrEntry() })];
    try {
      const results = await Promise.all(engines.map((e) => e.copyImage(ref(src.host, 'team/raced', 'v1'), ref(dst.host, 'mirror/raced'))));
      assert.deepEqual(results.map((r) => r.status).sort(), ['copied', 'copied']);
    } finally {
      await Promise.all(engines.map((e) => e.close()));
    }
    await assertImageAt(dst, 'mirror/raced', 'v1', pushed);
    const creates = plane.calls.slice(before).filter((c) => c.action === 'CreateRepository').map((c) => c.status);
    assert.deepEqual(creates.sort(), [200, 400]);
  });

  test('with createRepository false a push to a missing repository is refused, as ECR refuses it', async () => {
    await pushImage(src, 'team/uncreated', { tag: 'v1', seed: 'ecr-uncreated' });
    const engine = worker({ [src.host]: {}, [dst.host]: ecrEntry(false) });
    try {
      await assert.rejects(engine.copyImage(ref(src.host, 'team/uncreated', 'v1'), ref(dst.host, 'mirror/uncreated')), (error: Error & { code?: string }) => {
        assert.match(error.code ?? '', /REGISTRY_/);
        return true;
      });
    } finally {
      await engine.close();
    }
    assert.deepEqual(await listTags(dst, 'mirror/uncreated'), []);
    assert.equal(plane.calls.filter((c) => c.action === 'CreateRepository' && c.repository === 'mirror/uncreated').length, 0);
  });

  test('one token serves every copy until shortly before it expires, then a new one is used', async () => {
    const engine = worker({ [src.host]: {}, [dst.host]: ecrEntry() });
    try {
      // Counted by what the registry accepted (an SDK-level retry of a slow call would not change it).
      const seenBefore = plane.tokensUsed.length;
      for (const name of ['reuse-a', 'reuse-b']) {
        await pushImage(src, `team/${name}`, { tag: 'v1', seed: name });
        assert.equal((await engine.copyImage(ref(src.host, `team/${name}`, 'v1'), ref(dst.host, `mirror/${name}`))).status, 'copied');
      }
      const firstTokens = new Set(plane.tokensUsed.slice(seenBefore));
      assert.equal(firstTokens.size, 1, 'one token for two copies');
      const issuedBefore = plane.count('GetAuthorizationToken');

      // 11 h 50 min later the 12 h token is within its renewal margin: the next copy asks again.
      t += TOKEN_LIFETIME_MS - 10 * 60_000;
      const seenMiddle = plane.tokensUsed.length;
      const pushed = await pushImage(src, 'team/reuse-c', { tag: 'v1', seed: 'reuse-c' });
      assert.equal((await engine.copyImage(ref(src.host, 'team/reuse-c', 'v1'), ref(dst.host, 'mirror/reuse-c'))).status, 'copied');
      assert.ok(plane.count('GetAuthorizationToken') > issuedBefore, 'renewed');
      const renewed = new Set(plane.tokensUsed.slice(seenMiddle));
      assert.equal(renewed.size, 1);
      assert.ok(![...renewed].some((token) => firstTokens.has(token)), 'the registry saw only the new token');
      await assertImageAt(dst, 'mirror/reuse-c', 'v1', pushed);
    } finally {
      await engine.close();
    }
    // The token is a password: it never reaches a log line.
    for (const token of new Set(plane.tokensUsed)) assert.ok(!logs.some((line) => line.includes(token)), 'token logged');
  });
});
