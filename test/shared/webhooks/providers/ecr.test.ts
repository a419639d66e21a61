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
          registry: '210987654321.dkr.ecr.eu-central-1.amazonaws.com',
          repository: 'tidewater/worker',
          tag: 'release-41',
          digest: 'sha256:a76f14c27983e644f11374a6d001017f8d6f6e75c307616790708d799d617829',
          eventId: '7b3c9e21-4f0d-a8b6-1e5c-92d4f06a3b18',
          occurredAt: '2025-06-18T21:40:05.000Z',
        },
      ],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('a DELETE is counted as delete (and kept as a tag deletion), a failed PUSH as failed', () => {
    const failed = variant('ecr-image-action-push.json', (b) => {
      b.detail.result = 'FAILURE';
    });

    const deleted = parseDelivery('ecr', sample('ecr-image-action-delete.json'), context());
    assert.deepEqual({ ...deleted, deletes: deleted.deletes?.map((d) => `${d.registry}/${d.repository}:${d.tag}`) }, { events: [], ignored: 1, ignoredReasons: { delete: 1 }, deletes: ['210987654321.dkr.ecr.eu-central-1.amazonaws.com/tidewater/worker:release-40'] });
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

    assert.equal(parseDelivery('ecr', body, context()).events[0]?.registry, '210987654321.dkr.ecr.cn-north-1.amazonaws.com.cn');
  });

  test('other ECR detail-types are counted as not-a-push', () => {
    const body = variant('ecr-image-action-push.json', (b) => {
      b['detail-type'] = 'ECR Image Scan';
      b.detail = { 'scan-status': 'COMPLETE' };
    });

    assert.deepEqual(parseDelivery('ecr', body, context()).ignoredReasons, { 'not-a-push': 1 });
  });
});
