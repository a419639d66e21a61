/**
 * image-syncer's configuration, JSON or YAML: `auth` (per registry or registry/namespace:
 * username, password, insecure) and `images` (source → destination or destinations). Sources
 * take no tag (all tags), `:t1,t2`, `:/regex/` or `@digest`; an empty destination means
 * `--registry/--namespace/<repository name>`. `${VAR}` or `$VAR` credentials come from the
 * environment. Every problem in a file is reported at once.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import { RegistryOptions } from '../oci/registry-options.ts';
import { isDigest, isTag, parseReference, parseRepositoryName, type RepositoryName } from '../oci/reference.ts';
import { compileTagPattern, type TagPattern } from '../rules/tag-pattern.ts';

const AuthEntry = RegistryOptions;
const SyncConfigFile = z.strictObject({
  auth: z.record(z.string(), AuthEntry).optional(),
  images: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
});

export type TagSelector =
  | { kind: 'all' }
  | { kind: 'tags'; tags: string[] }
  | { kind: 'regex'; pattern: TagPattern }
  | { kind: 'digest'; digest: string };

export interface SyncDestination extends RepositoryName {
  tag?: string;
}

export interface SyncRule {
  /** The key as written in the file, for messages. */
  key: string;
  source: RepositoryName;
  selector: TagSelector;
  destinations: SyncDestination[];
}

export interface SyncConfig {
  auth: Record<string, RegistryOptions>;
  rules: SyncRule[];
}

export interface SyncDefaults {
  registry?: string;
  namespace?: string;
  env: Readonly<Record<string, string | undefined>>;
}

/** Reads `--config FILE`, or `--auth FILE` with `--images FILE`. */
export async function loadSyncConfig(files: { config?: string; auth?: string; images?: string }, defaults: SyncDefaults): Promise<SyncConfig> {
  if (files.config) return parseSyncConfig(await readConfigFile(files.config), files.config, defaults);
  if (!files.auth && !files.images) throw new InvalidInputError('CONFIG_INVALID', 'no configuration: pass --config FILE (or --auth FILE and --images FILE)');
  const auth = files.auth ? await readConfigFile(files.auth) : {};
  const images = files.images ? await readConfigFile(files.images) : {};
  return parseSyncConfig({ auth, images }, `${files.auth ?? '-'} + ${files.images ?? '-'}`, defaults);
}

async function readConfigFile(path: string): Promise<unknown> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    throw new InvalidInputError('CONFIG_UNREADABLE', `cannot read ${path}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : (error as Error).message}`, { cause: error });
  }
  try {
    return JSON.parse(text);
  } catch {
    // Not JSON: YAML (a superset, so its errors also explain broken JSON), loaded only when needed.
  }
  try {
    const yaml = await import('yaml');
    // Bundled, the CommonJS build of `yaml` arrives as the default export.
    const parse = yaml.parse ?? (yaml as unknown as { default: typeof yaml }).default.parse;
    return parse(text, { prettyErrors: true });
  } catch (error) {
    throw new InvalidInputError('CONFIG_INVALID', `${path} is neither valid JSON nor YAML: ${(error as Error).message.split('\n')[0]}`, { cause: error });
  }
}

export function parseSyncConfig(input: unknown, where: string, defaults: SyncDefaults): SyncConfig {
  const parsed = SyncConfigFile.safeParse(input ?? {});
  if (!parsed.success) {
    throw new InvalidInputError('CONFIG_INVALID', parsed.error.issues.map((i) => `${where}: ${i.path.length ? i.path.join('.') : 'file'}: ${i.message}`));
  }
  const problems: string[] = [];
  const auth: Record<string, RegistryOptions> = {};
  for (const [key, entry] of Object.entries(parsed.data.auth ?? {})) {
    auth[key] = { ...entry, ...expand(entry, defaults.env, `${where}: auth.${key}`, problems) };
  }
  const rules: SyncRule[] = [];
  for (const [key, value] of Object.entries(parsed.data.images ?? {})) {
    try {
      rules.push(parseRule(key, Array.isArray(value) ? value : [value], defaults));
    } catch (error) {
      if (error instanceof InvalidInputError) problems.push(...error.problems.map((p) => `${where}: images["${key}"]: ${p}`));
      else throw error;
    }
  }
  if (rules.length === 0 && problems.length === 0) problems.push(`${where}: no images to sync`);
  if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  return { auth, rules };
}

function expand(entry: RegistryOptions, env: SyncDefaults['env'], where: string, problems: string[]): Partial<RegistryOptions> {
  const out: Partial<RegistryOptions> = {};
  for (const field of ['username', 'password'] as const) {
    const value = entry[field];
    const match = value === undefined ? null : /^\$\{([A-Za-z_][A-Za-z0-9_]*)\}$|^\$([A-Za-z_][A-Za-z0-9_]*)$/.exec(value);
    if (!match) continue;
    const name = match[1] ?? match[2]!;
    const resolved = env[name];
    if (resolved === undefined) problems.push(`${where}.${field}: environment variable ${name} is not set`);
    else out[field] = resolved;
  }
  return out;
}

function parseRule(key: string, targets: string[], defaults: SyncDefaults): SyncRule {
  const { name, selector } = splitSource(key.trim());
  const source = parseRepositoryName(name, key);
  const single = selector.kind === 'digest' || (selector.kind === 'tags' && selector.tags.length === 1);
  const destinations = targets.map((target) => parseDestination(target.trim(), source, single, defaults));
  return { key, source, selector, destinations };
}

function splitSource(key: string): { name: string; selector: TagSelector } {
  const at = key.indexOf('@');
  if (at !== -1) {
    const digest = key.slice(at + 1);
    if (!isDigest(digest)) throw new InvalidInputError('CONFIG_INVALID', `invalid digest "${digest}"`);
    return { name: key.slice(0, at), selector: { kind: 'digest', digest } };
  }
  const slash = key.indexOf('/');
  const regexStart = key.indexOf(':/', slash === -1 ? 0 : slash);
  if (regexStart !== -1 && key.endsWith('/') && key.length > regexStart + 3) {
    const pattern = compileTagPattern(key.slice(regexStart + 2, -1), { anchored: false });
    return { name: key.slice(0, regexStart), selector: { kind: 'regex', pattern } };
  }
  const colon = key.lastIndexOf(':');
  if (colon > key.lastIndexOf('/')) {
    const tags = key.slice(colon + 1).split(',').map((t) => t.trim()).filter(Boolean);
    const bad = tags.filter((t) => !isTag(t));
    if (tags.length === 0 || bad.length > 0) throw new InvalidInputError('CONFIG_INVALID', `invalid tag${bad.length > 1 ? 's' : ''} ${bad.map((t) => `"${t}"`).join(', ') || '(empty)'}`);
    return { name: key.slice(0, colon), selector: { kind: 'tags', tags: [...new Set(tags)] } };
  }
  return { name: key, selector: { kind: 'all' } };
}

function parseDestination(target: string, source: RepositoryName, single: boolean, defaults: SyncDefaults): SyncDestination {
  if (target === '') {
    if (!defaults.registry || !defaults.namespace) {
      throw new InvalidInputError('CONFIG_INVALID', 'empty destination needs both --registry and --namespace (or DEFAULT_REGISTRY and DEFAULT_NAMESPACE)');
    }
    const name = source.repository.split('/').pop()!;
    return parseRepositoryName(`${defaults.registry}/${defaults.namespace}/${name}`);
  }
  if (target.includes('@')) throw new InvalidInputError('CONFIG_INVALID', `destination "${target}" names a digest; a destination takes a repository and at most a tag`);
  const ref = parseReference(target);
  if (ref.tag !== undefined && !single) {
    throw new InvalidInputError('CONFIG_INVALID', `destination "${target}" names a tag, which only works when the source names exactly one tag or digest`);
  }
  return { registry: ref.registry, repository: ref.repository, ...(ref.tag ? { tag: ref.tag } : {}) };
}
