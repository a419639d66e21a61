/**
 * One entry of image-syncer's `images`: a source key and its destinations, in image-syncer's
 * forms. Source: `repo` (all tags), `repo:t1,t2`, `repo:/regex/`, `repo@digest` or
 * `repo:tag@digest` (the digest wins, as in Docker's reference grammar). Destination: `repo`
 * (same tags or digest), `repo:x` or `repo:x,y` (the source's tags renamed by position),
 * `repo@digest` (the source's own digest only). `docker://` (skopeo's transport prefix) is dropped.
 */
import { InvalidInputError } from '../errors.ts';
import { isDigest, isTag, parseRepositoryName, type RepositoryName } from '../oci/reference.ts';
import { compileTagPattern, type TagPattern } from '../patterns/tag-pattern.ts';
import { expandEnv, type Environment } from './expand-env.ts';

export type TagSelector =
  | { kind: 'all' }
  | { kind: 'tags'; tags: string[] }
  | { kind: 'regex'; pattern: TagPattern }
  | { kind: 'digest'; digest: string };

export interface SyncDestination extends RepositoryName {
  /**
   * New tags by position: `tags[i]` receives the source's i-th tag (a `tags` selector), or the
   * digest (a `digest` selector, one tag). Absent: the source's tags (or digest) are kept.
   */
  tags?: string[];
}

export interface SyncRule {
  /** The key as written in the file, for messages. */
  key: string;
  source: RepositoryName;
  selector: TagSelector;
  destinations: SyncDestination[];
}

export interface RuleDefaults {
  registry?: string | undefined;
  namespace?: string | undefined;
  env: Environment;
}

const TRANSPORT = /^docker:\/\//;

/** Throws one InvalidInputError naming every problem of the entry (without the key: the caller adds it). */
export function parseRule(key: string, targets: string[], defaults: RuleDefaults): SyncRule {
  const problems: string[] = [];
  if (targets.length === 0) throw new InvalidInputError('CONFIG_INVALID', 'no destination (an empty list copies nothing; image-syncer refuses it too)');
  const { name, selector } = splitSource(key.trim().replace(TRANSPORT, ''));
  const source = parseRepositoryName(name, key);
  const destinations = new Map<string, SyncDestination>();
  targets.forEach((target, i) => {
    const where = targets.length > 1 ? `destination ${i + 1}` : 'destination';
    const expanded = expandEnv(target.trim(), defaults.env, where, problems);
    if (expanded === undefined) return;
    try {
      const destination = parseDestination(expanded.replace(TRANSPORT, ''), source, selector, defaults);
      // The same destination twice in one list is one copy, as in image-syncer.
      destinations.set(JSON.stringify(destination), destination);
    } catch (error) {
      if (error instanceof InvalidInputError) problems.push(...error.problems);
      else throw error;
    }
  });
  if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  return { key, source, selector, destinations: [...destinations.values()] };
}

function splitSource(key: string): { name: string; selector: TagSelector } {
  const at = key.indexOf('@');
  if (at !== -1) {
    const digest = key.slice(at + 1);
    if (!isDigest(digest)) throw new InvalidInputError('CONFIG_INVALID', `invalid digest "${digest}"`);
    let name = key.slice(0, at);
    const colon = name.lastIndexOf(':');
    if (colon > name.lastIndexOf('/')) {
      // `repo:tag@digest`: the tag documents the digest; the digest selects the image.
      const tag = name.slice(colon + 1);
      if (!isTag(tag)) throw new InvalidInputError('CONFIG_INVALID', `invalid tag "${tag}"`);
      name = name.slice(0, colon);
    }
    return { name, selector: { kind: 'digest', digest } };
  }
  const slash = key.indexOf('/');
  const regexStart = key.indexOf(':/', slash === -1 ? 0 : slash);
  if (regexStart !== -1 && key.endsWith('/') && key.length > regexStart + 3) {
    const pattern = compileTagPattern(key.slice(regexStart + 2, -1), { anchored: false });
    return { name: key.slice(0, regexStart), selector: { kind: 'regex', pattern } };
  }
  const tagged = splitTags(key);
  return tagged.tags ? { name: tagged.name, selector: { kind: 'tags', tags: tagged.tags } } : { name: key, selector: { kind: 'all' } };
}

/** `name:t1,t2` → name and tags (in order, repeats kept: they pair with destination tags by position). */
function splitTags(text: string): { name: string; tags?: string[] } {
  const colon = text.lastIndexOf(':');
  if (colon <= text.lastIndexOf('/')) return { name: text };
  const tags = text.slice(colon + 1).split(',').map((t) => t.trim()).filter(Boolean);
  const bad = tags.filter((t) => !isTag(t));
  if (tags.length === 0 || bad.length > 0) throw new InvalidInputError('CONFIG_INVALID', `invalid tag${bad.length > 1 ? 's' : ''} ${bad.map((t) => `"${t}"`).join(', ') || '(empty)'}`);
  return { name: text.slice(0, colon), tags };
}

function parseDestination(target: string, source: RepositoryName, selector: TagSelector, defaults: RuleDefaults): SyncDestination {
  if (target === '') {
    if (!defaults.registry || !defaults.namespace) {
      throw new InvalidInputError('CONFIG_INVALID', 'empty destination needs both --registry and --namespace (or DEFAULT_REGISTRY and DEFAULT_NAMESPACE)');
    }
    const name = source.repository.split('/').pop()!;
    return parseRepositoryName(`${defaults.registry}/${defaults.namespace}/${name}`);
  }
  let text = target;
  const at = text.indexOf('@');
  if (at !== -1) {
    const digest = text.slice(at + 1);
    if (selector.kind !== 'digest' || selector.digest !== digest) {
      throw new InvalidInputError('CONFIG_INVALID', `destination "${target}" names a digest; it must be the source's own digest (the digest comes from the source)`);
    }
    text = text.slice(0, at);
  }
  const { name, tags } = splitTags(text);
  const repository = parseRepositoryName(name, target);
  if (!tags) return repository;
  const sourceTags = selector.kind === 'tags' ? selector.tags.length : selector.kind === 'digest' ? 1 : undefined;
  if (sourceTags === undefined) {
    throw new InvalidInputError('CONFIG_INVALID', `destination "${target}" names a tag, which only works when the source names its tags or a digest`);
  }
  if (tags.length !== sourceTags) {
    throw new InvalidInputError('CONFIG_INVALID', `destination "${target}" names ${tags.length} tag${tags.length === 1 ? '' : 's'} for the source's ${sourceTags}: tags are renamed by position, so the counts must match`);
  }
  return { ...repository, tags };
}
