import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

const DIGEST = 'sha256:cf6eb0cd9a08bfb4fc0e71c21f1bd3ce0dc6e7b957fb579e5b83adc2174d2039';

describe('JFrog Artifactory docker webhooks', () => {
  test('a pushed manifest list becomes an event: repository path method on the platform host, sha256 hex as digest', () => {
    assert.deepEqual(parseDelivery('jfrog', sample('jfrog-docker-pushed.json'), context()), {
      events: [{ provider: 'jfrog', registry: 'tidewater.jfrog.io', repository: 'docker-local/tidewater/catalog', tag: '5.1.0', digest: DIGEST }],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('a configured Docker host serves the repository at its root', () => {
    const parsed = parseDelivery('jfrog', sample('jfrog-docker-pushed.json'), context({ registry: 'docker-local.tidewater.jfrog.io' }));

    assert.deepEqual(parsed.events, [{ provider: 'jfrog', registry: 'docker-local.tidewater.jfrog.io', repository: 'tidewater/catalog', tag: '5.1.0', digest: DIGEST }]);
  });

  test('deleted and promoted events are counted, not replicated', () => {
    const deleted = variant('jfrog-docker-pushed.json', (b) => {
      b.event_type = 'deleted';
    });
    const promoted = variant('jfrog-docker-pushed.json', (b) => {
      b.event_type = 'promoted';
    });

    assert.deepEqual(parseDelivery('jfrog', deleted, context()).ignoredReasons, { delete: 1 });
    assert.deepEqual(parseDelivery('jfrog', promoted, context()).ignoredReasons, { 'not-a-push': 1 });
  });

  test('a sha256 that is not 64 hex characters is a malformed payload', () => {
    const body = variant('jfrog-docker-pushed.json', (b) => {
      b.data.sha256 = 'sha256:cf6e';
    });

    assert.throws(() => parseDelivery('jfrog', body, context()), { code: 'WEBHOOK_PAYLOAD_INVALID', message: /jfrog payload data\.sha256: not a lowercase hex SHA-256/ });
  });
});
