/**
 * The rules a push to a registry may match, cached for a moment: a webhook burst (or 1,000 rules)
 * should not query the table on every event. A new rule applies within `ttlMs`.
 */
import { RuleIndex } from './match.ts';
import { registryKey } from './rule.ts';
import type { RuleStore } from './rule-store.ts';

export const DEFAULT_RULE_CACHE_MS = 2_000;

export type RuleLookup = (registry: string) => Promise<RuleIndex>;

export function createRuleLookup(store: RuleStore, ttlMs = DEFAULT_RULE_CACHE_MS, now: () => number = Date.now): RuleLookup {
  const cache = new Map<string, { at: number; rules: Promise<RuleIndex> }>();
  return function rulesFor(registry) {
    const key = registryKey(registry);
    const hit = cache.get(key);
    if (hit && now() - hit.at < ttlMs) return hit.rules;
    const rules = store.listBySourceRegistry(key).then((list) => new RuleIndex(list));
    cache.set(key, { at: now(), rules });
    rules.catch(() => cache.delete(key));
    return rules;
  };
}
