import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { createCloudCredentials } from '../../../shared/cloud/cloud-credentials.ts';
import { CloudRegistryOptions, ecrSettingsOf } from '../../../shared/cloud/cloud-registry-options.ts';
import { InvalidInputError } from '../../../shared/errors.ts';
import { silentLogger } from '../../../shared/log.ts';
import { declareRegistries } from '../../../shared/oci/egress-policy.ts';

// Configuration only: nothing here opens a socket (no endpoint is contacted by building providers).

const HOST = '222222222222.dkr.ecr.eu-west-1.amazonaws.com';

describe('cloud registry settings', () => {
  test('an ECR host is recognised with its account and region; static credentials opt out', () => {
    assert.deepEqual(ecrSettingsOf(HOST, {}), { region: 'eu-west-1', accountId: '222222222222', createRepository: { tagMutability: 'MUTABLE', scanOnPush: false, tags: {} } });
    assert.equal(ecrSettingsOf(HOST, { username: 'AWS', password: 'static' }), undefined);
    assert.equal(ecrSettingsOf('registry.example.com', {}), undefined);
  });

  test('an explicit endpoint must be declared by host: an undeclared one is a configuration error naming the field', () => {
    const registries = { [HOST]: { ecr: { region: 'eu-west-1', endpoint: 'http://127.0.0.1:9', stsEndpoint: 'http://127.0.0.1:10', roleArn: 'arn:aws:iam::222222222222:role/x', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } } } };
    assert.throws(() => createCloudCredentials(registries, { logger: silentLogger, defaultChain: false, declared: declareRegistries({ [HOST]: {}, '127.0.0.1:9': {} }) }), (error: InvalidInputError) => {
      assert.equal(error.code, 'CONFIG_INVALID');
      assert.deepEqual(error.problems, [`registries.${HOST}.ecr.stsEndpoint: 127.0.0.1:10 is not declared; declare it by host in registries`]);
      return true;
    });
  });

  test('outside Lambda an ECR entry without credentials is refused rather than left to the default chain', () => {
    assert.throws(() => createCloudCredentials({ [HOST]: { ecr: { region: 'eu-west-1' } } }, { logger: silentLogger, defaultChain: false }), /give credentials \(or an endpoint\); outside Lambda crossdock never uses the AWS SDK's default credential chain/);
  });

  test('bad settings are named all at once', () => {
    const parsed = CloudRegistryOptions.safeParse({ ecr: { region: 'nowhere', roleArn: 'arn:aws:iam::333333333333:role/r', accountId: '222222222222', createRepository: { encryption: { type: 'AES256', kmsKey: 'k' } } } });
    assert.ok(!parsed.success);
    const paths = parsed.error.issues.map((i) => i.path.join('.')).sort();
    assert.deepEqual(paths, ['ecr.createRepository.encryption', 'ecr.region', 'ecr.roleArn']);
    const orphan = CloudRegistryOptions.safeParse({ ecr: { region: 'eu-west-1', externalId: 'abc' } });
    assert.deepEqual(orphan.error?.issues.map((i) => `${i.path.join('.')}: ${i.message}`), ['ecr.externalId: goes with roleArn']);
  });
});
