import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../../shared/webhooks/parse.ts';
import { context, sample, variant } from '../samples.ts';

const DIGEST = 'sha256:35c4a2c15539c6c1e4e5fa4e554dac323ad0107d8eb5c582d6ff386b383b7dce';

describe('JFrog Artifactory docker webhooks', () => {
  test('a pushed manifest list becomes an event: repository path method on the platform host, sha256 hex as digest', () => {
    assert.deepEqual(parseDelivery('jfrog', sample('jfrog-docker-pushed.json'), context()), {
      events: [{ provider: 'jfrog', registry: 'mycompany.jfrog.io', repository: 'docker-remote-cache/library/ubuntu', tag: 'latest', digest: DIGEST }],
      ignored: 0,
      ignoredReasons: {},
    });
  });

  test('a configured Docker host serves the repository at its root', () => {
    const parsed = parseDelivery('jfrog', sample('jfrog-docker-pushed.json'), context({ registry: 'docker-remote-cache.mycompany.jfrog.io' }));

    assert.deepEqual(parsed.events, [{ provider: 'jfrog', registry: 'docker-remote-cache.mycompany.jfrog.io', repository: 'library/ubuntu', tag: 'latest', digest: DIGEST }]);
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
      b.data.sha256 = 'sha256:35c4';
    });

    assert.throws(() => parseDelivery('jfrog', body, context()), { code: 'WEBHOOK_PAYLOAD_INVALID', message: /jfrog payload data\.sha256: not a lowercase hex SHA-256/ });
  });
});
