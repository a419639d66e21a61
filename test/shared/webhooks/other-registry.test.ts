import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parseDelivery } from '../../../shared/webhooks/parse.ts';
import type { Provider } from '../../../shared/webhooks/push-event.ts';
import { OTHER_REGISTRY_CASES, type OtherRegistryCase } from './other-registry-cases.ts';
import { context, variant } from './samples.ts';

describe('a webhook source configured with a registry speaks for that registry only', () => {
  for (const [provider, c] of Object.entries(OTHER_REGISTRY_CASES) as [Provider, OtherRegistryCase][]) {
    test(`${provider}: a payload naming another registry yields no push for it`, () => {
      const parsed = parseDelivery(provider, variant(c.file, c.nameOther), context({ registry: c.configured, headers: c.headers ?? {} }));
      const registries = parsed.events.map((e) => e.registry);
      assert.ok(!registries.some((r) => r !== c.configured), `${provider}: ${registries.join(', ')}`);
      if (c.reliable) {
        assert.deepEqual(parsed.events, []);
        assert.equal(parsed.ignoredReasons['other-registry'], 1);
        // The same delivery from the configured registry itself is a push, so the refusal above is not vacuous.
        const own = parseDelivery(provider, variant(c.file, c.reliable.nameOwn), context({ registry: c.reliable.own, headers: c.headers ?? {} }));
        assert.equal(own.events.length, 1, JSON.stringify(own));
        assert.equal(own.events[0]!.registry, c.reliable.own.toLowerCase());
      } else {
        // Those payloads' hosts are unreliable (Host headers, a misconfigured ext_endpoint…): A is kept.
        assert.ok(parsed.events.length >= 1, JSON.stringify(parsed));
      }
    });
  }

  test('ecr: a source configured with a non-ECR host (a DNS alias) cannot compare, and its host wins', () => {
    const parsed = parseDelivery('ecr', variant('ecr-image-action-push.json', () => {}), context({ registry: 'ecr-alias.a.example' }));
    assert.deepEqual(parsed.events.map((e) => e.registry), ['ecr-alias.a.example']);
  });

  test('ecr: the same account in another region is another registry', () => {
    const parsed = parseDelivery('ecr', variant('ecr-image-action-push.json', () => {}), context({ registry: '210987654321.dkr.ecr.eu-west-1.amazonaws.com' }));
    assert.deepEqual(parsed.events, []);
    assert.equal(parsed.ignoredReasons['other-registry'], 1);
  });
});
