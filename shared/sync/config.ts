/**
 * image-syncer's configuration, JSON or YAML: `auth` (per registry or registry/namespace:
 * username, password, insecure) and `images` (source → destination or destinations, in the forms
 * image-rule.ts reads); an empty destination means `--registry/--namespace/<repository name>`.
 * `${VAR}` and `$VAR` inside credentials and destinations come from the environment, as in
 * image-syncer. Every problem in a file is reported at once.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import { RegistryOptions } from '../oci/registry-options.ts';
import { expandEnv } from './expand-env.ts';
import { parseRule, type RuleDefaults, type SyncRule } from './image-rule.ts';

const AuthFile = z.record(z.string(), RegistryOptions);
const SyncConfigFile = z.strictObject({
  auth: AuthFile.optional(),
  images: z.record(z.string(), z.union([z.string(), z.array(z.string())])).optional(),
});

export type { SyncDestination, SyncRule, TagSelector } from './image-rule.ts';

export interface SyncConfig {
  auth: Record<string, RegistryOptions>;
  rules: SyncRule[];
}

export type SyncDefaults = RuleDefaults;

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
  const auth = expandAuth(parsed.data.auth ?? {}, defaults, where, problems);
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

/** An image-syncer auth file alone (`crossdock copy --auth FILE`): registry or registry/namespace → credentials. */
export async function loadAuthFile(path: string, env: SyncDefaults['env']): Promise<Record<string, RegistryOptions>> {
  const parsed = AuthFile.safeParse((await readConfigFile(path)) ?? {});
  if (!parsed.success) {
    throw new InvalidInputError('CONFIG_INVALID', parsed.error.issues.map((i) => `${path}: ${i.path.length ? i.path.join('.') : 'file'}: ${i.message}`));
  }
  const problems: string[] = [];
  const auth = expandAuth(parsed.data, { env }, path, problems);
  if (problems.length > 0) throw new InvalidInputError('CONFIG_INVALID', problems);
  return auth;
}

function expandAuth(entries: Record<string, RegistryOptions>, defaults: Pick<SyncDefaults, 'env'>, where: string, problems: string[]): Record<string, RegistryOptions> {
  const auth: Record<string, RegistryOptions> = {};
  for (const [key, entry] of Object.entries(entries)) {
    const out: RegistryOptions = { ...entry };
    for (const field of ['username', 'password'] as const) {
      const value = entry[field];
      if (value === undefined) continue;
      const expanded = expandEnv(value, defaults.env, `${where}: auth.${key}.${field}`, problems);
      if (expanded !== undefined) out[field] = expanded;
    }
    auth[key] = out;
  }
  return auth;
}
