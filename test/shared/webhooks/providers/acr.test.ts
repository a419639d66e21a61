import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample } from '../samples.ts';

describe('Alibaba ACR webhooks', () => {
  test('a push becomes an event on the region\'s public endpoint, zone-less time read as +08:00', () => {
    assert.deepEqual(parseDelivery('acr', sample('aliyun-acr-push.json'), context()), {
      events: [
        {
          provider: 'acr',
          registry: 'registry.cn-hangzhou.aliyuncs.com',
          repository: 'namespace/repotest',
          tag: 'latest',
          digest: 'sha256:457f4aa83fc9a6663ab9d1b0a6e2dce25a12a943ed5bf2c1747c58d48bbb4917',
          occurredAt: '2016-11-29T04:25:46.000Z',
        },
      ],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('the configured registry (VPC or Enterprise Edition host) wins over the region', () => {
    const parsed = parseDelivery('acr', sample('aliyun-acr-push.json'), context({ registry: 'acme-registry.cn-hangzhou.cr.aliyuncs.com' }));

    assert.equal(parsed.events[0]?.registry, 'acme-registry.cn-hangzhou.cr.aliyuncs.com');
  });
});
