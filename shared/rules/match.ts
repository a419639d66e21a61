/**
 * Which rules a push matches, and where each sends it. A namespace-level rule keeps the path
 * below its namespace (`team/app/api` under `team` → `mirror/app/api`), a registry-wide rule the
 * whole path (`team/app` → `mirror/team/app`); a repository-level rule may rename the repository.
 */
import { normalizeRegistry, type Reference } from '../oci/reference.ts';
import type { PushEvent } from '../webhooks/push-event.ts';
import { joinPath, sameRegistry, sourcePath, type Rule, type RuleDestination } from './rule.ts';
import { compileTagPattern, type TagPattern } from '../patterns/tag-pattern.ts';

export interface RuleMatch {
  rule: Rule;
  destination: Reference;
}

/** A rule's tag pattern, compiled: once per rule run; a RuleIndex keeps its rules' compiled. */
export function tagPatternOf(rule: Rule): TagPattern {
  return compileTagPattern(rule.tagPattern, { anchored: true });
}

/** The repository path below the rule's source, or undefined when the repository is out of scope. */
export function pathInScope(rule: Rule, registry: string, repository: string): string | undefined {
  if (!sameRegistry(normalizeRegistry(registry), rule.source.registry)) return undefined;
  const { namespace, repository: only } = rule.source;
  if (only !== undefined) return repository === sourcePath(rule.source) ? only : undefined;
  if (namespace === '') return repository;
  return repository.startsWith(`${namespace}/`) ? repository.slice(namespace.length + 1) : undefined;
}

export function destinationRepository(rule: Rule, destination: RuleDestination, below: string): string {
  return joinPath(destination.namespace, rule.source.repository !== undefined ? (destination.repository ?? below) : below);
}

/**
 * Rules indexed by the repository path they cover ("" for the whole registry, a namespace, or
 * namespace/repository), so a push is matched against the few rules on its path prefixes, not
 * against every rule. The index compiles each rule's tag pattern the first time a push needs it
 * and keeps it as long as the index lives (the rule lookup caches indexes per registry).
 */
export class RuleIndex {
  readonly #byPath = new Map<string, Rule[]>();
  readonly #patterns = new Map<Rule, TagPattern>();
  constructor(readonly rules: readonly Rule[]) {
    for (const rule of rules) {
      const path = sourcePath(rule.source);
      const list = this.#byPath.get(path);
      if (list) list.push(rule);
      else this.#byPath.set(path, [rule]);
    }
  }

  /** Rules whose namespace or repository is a path prefix of `repository`, and registry-wide ones. */
  candidates(repository: string): Rule[] {
    const found: Rule[] = [];
    const parts = repository.split('/');
    for (let i = 0; i <= parts.length; i++) found.push(...(this.#byPath.get(parts.slice(0, i).join('/')) ?? []));
    return found;
  }

  patternOf(rule: Rule): TagPattern {
    let pattern = this.#patterns.get(rule);
    if (!pattern) this.#patterns.set(rule, (pattern = tagPatternOf(rule)));
    return pattern;
  }
}

/**
 * Every (rule, destination) a push goes to. A push without a tag matches no rule: rules select
 * tags, and the children of a multi-platform push travel with their index.
 */
export function matchRules(rules: readonly Rule[] | RuleIndex, event: Pick<PushEvent, 'registry' | 'repository' | 'tag'>): RuleMatch[] {
  if (event.tag === undefined) return [];
  // A plain list (a test, a one-off) compiles each pattern it meets; an index keeps them.
  const [candidates, patternOf] = rules instanceof RuleIndex ? [rules.candidates(event.repository), (rule: Rule) => rules.patternOf(rule)] : [rules, tagPatternOf];
  const matches: RuleMatch[] = [];
  for (const rule of candidates) {
    if (!rule.enabled) continue;
    const below = pathInScope(rule, event.registry, event.repository);
    if (below === undefined || !patternOf(rule).test(event.tag)) continue;
    for (const destination of rule.destinations) {
      matches.push({ rule, destination: { registry: destination.registry, repository: destinationRepository(rule, destination, below), tag: event.tag } });
    }
  }
  return matches;
}
