import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { InvalidInputError } from '../../../shared/errors.ts';
import { parseDelivery } from '../../../shared/webhooks/parse.ts';
import { PROVIDERS } from '../../../shared/webhooks/push-event.ts';
import { context, sample } from './samples.ts';

const MALFORMED: [string, Buffer][] = [
  ['invalid JSON', Buffer.from('{"events": [')],
  ['an empty body', Buffer.alloc(0)],
  ['an empty object', Buffer.from('{}')],
  ['an array', Buffer.from('[]')],
  ['a JSON string', Buffer.from('"push"')],
  // Nexus is not a supported provider: its payload is the wrong shape for every endpoint.
  ['a Nexus asset event', sample('nexus-repository-asset-created.json')],
];

describe('parseDelivery', () => {
  for (const provider of PROVIDERS) {
    test(`${provider}: malformed bodies are rejected with WEBHOOK_PAYLOAD_INVALID`, () => {
      for (const [what, body] of MALFORMED) {
        assert.throws(
          () => parseDelivery(provider, body, context()),
          (error: unknown) => {
            assert.ok(error instanceof InvalidInputError, `${what}: ${String(error)}`);
            assert.equal(error.code, 'WEBHOOK_PAYLOAD_INVALID', what);
            assert.match(error.message, new RegExp(`^${provider} payload`), what);
            return true;
          },
        );
      }
    });
  }

  test('invalid JSON is named as such', () => {
    assert.throws(() => parseDelivery('distribution', Buffer.from('{"events": ['), context()), {
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: /^distribution payload: body is not valid JSON/,
    });
  });

  test('a body that is not UTF-8 is rejected', () => {
    assert.throws(() => parseDelivery('quay', Buffer.from([0x7b, 0xff, 0x7d]), context()), {
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: /not valid UTF-8/,
    });
  });

  test('every problem of a malformed payload is listed at once', () => {
    assert.throws(
      () => parseDelivery('ecr', Buffer.from('{"detail-type": "ECR Image Action"}'), context()),
      (error: unknown) => {
        assert.ok(error instanceof InvalidInputError);
        assert.deepEqual(
          error.problems.map((p) => p.split(':')[0]),
          ['ecr payload source', 'ecr payload account', 'ecr payload region', 'ecr payload detail'],
        );
        return true;
      },
    );
  });

  test('a form-encoded GitHub delivery without a payload field is rejected', () => {
    const headers = { 'x-github-event': 'package', 'content-type': 'application/x-www-form-urlencoded' };

    assert.throws(() => parseDelivery('github', Buffer.from('other=1'), context({ headers })), {
      code: 'WEBHOOK_PAYLOAD_INVALID',
      message: /form-encoded body has no payload field/,
    });
  });

  test('a sample sent to the wrong provider endpoint is rejected, not misread', () => {
    assert.throws(() => parseDelivery('azure', sample('distribution-push-manifest.json'), context()), { code: 'WEBHOOK_PAYLOAD_INVALID' });
    assert.throws(() => parseDelivery('distribution', sample('azure-acr-push.json'), context()), { code: 'WEBHOOK_PAYLOAD_INVALID' });
    assert.throws(() => parseDelivery('dockerhub', sample('aliyun-acr-push.json'), context()), { code: 'WEBHOOK_PAYLOAD_INVALID' });
    assert.throws(() => parseDelivery('acr', sample('dockerhub-push.json'), context()), { code: 'WEBHOOK_PAYLOAD_INVALID' });
  });
});
