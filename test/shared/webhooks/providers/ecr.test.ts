import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

describe('ECR Image Action events', () => {
  test('a successful PUSH becomes an event on the account\'s regional registry', () => {
    assert.deepEqual(parseDelivery('ecr', sample('ecr-image-action-push.json'), context()), {
      events: [
        {
          provider: 'ecr',
          registry: '123456789012.dkr.ecr.us-west-2.amazonaws.com',
          repository: 'my-repository-name',
          tag: 'latest',
          // The docs sample's digest has 60 hex characters; it is passed on as given.
          digest: 'sha256:7f5b2640fe6fb4f46592dfd3410c4a79dac4f89e4782432e0378abcd1234',
          eventId: '13cde686-328b-6117-af20-0e5566167482',
          occurredAt: '2019-11-16T01:54:34.000Z',
        },
      ],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('a DELETE is counted as delete, a failed PUSH as failed', () => {
    const failed = variant('ecr-image-action-push.json', (b) => {
      b.detail.result = 'FAILURE';
    });

    assert.deepEqual(parseDelivery('ecr', sample('ecr-image-action-delete.json'), context()), { events: [], ignored: 1, ignoredReasons: { delete: 1 } });
    assert.deepEqual(parseDelivery('ecr', failed, context()), { events: [], ignored: 1, ignoredReasons: { failed: 1 } });
  });

  test('a push by digest (image-tag "") is ignored as untagged; newer events carry the media type', () => {
    const untagged = variant('ecr-image-action-push.json', (b) => {
      b.detail['image-tag'] = '';
    });
    const typed = variant('ecr-image-action-push.json', (b) => {
      b.detail['manifest-media-type'] = 'application/vnd.oci.image.index.v1+json';
    });

    assert.deepEqual(parseDelivery('ecr', untagged, context()).ignoredReasons, { untagged: 1 });
    assert.equal(parseDelivery('ecr', typed, context()).events[0]?.mediaType, 'application/vnd.oci.image.index.v1+json');
  });

  test('China regions answer under amazonaws.com.cn', () => {
    const body = variant('ecr-image-action-push.json', (b) => {
      b.region = 'cn-north-1';
    });

    assert.equal(parseDelivery('ecr', body, context()).events[0]?.registry, '123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn');
  });

  test('other ECR detail-types are counted as not-a-push', () => {
    const body = variant('ecr-image-action-push.json', (b) => {
      b['detail-type'] = 'ECR Image Scan';
      b.detail = { 'scan-status': 'COMPLETE' };
    });

    assert.deepEqual(parseDelivery('ecr', body, context()).ignoredReasons, { 'not-a-push': 1 });
  });
});
