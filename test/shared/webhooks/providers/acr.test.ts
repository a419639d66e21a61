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
          registry: 'registry.cn-shanghai.aliyuncs.com',
          repository: 'tidewater/billingapi',
          tag: 'v3.0.1',
          digest: 'sha256:a76f14c27983e644f11374a6d001017f8d6f6e75c307616790708d799d617829',
          occurredAt: '2025-06-03T10:07:12.000Z',
        },
      ],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('the configured registry (VPC or Enterprise Edition host) wins over the region', () => {
    const parsed = parseDelivery('acr', sample('aliyun-acr-push.json'), context({ registry: 'tidewater-registry.cn-shanghai.cr.aliyuncs.com' }));

    assert.equal(parsed.events[0]?.registry, 'tidewater-registry.cn-shanghai.cr.aliyuncs.com');
  });
});
