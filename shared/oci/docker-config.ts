/**
 * Credentials from a Docker `config.json` or a containers `auth.json` (same format): `auths`,
 * where `auth` is base64 `user:password` and `identitytoken` an OAuth2 refresh token, and the
 * credential helpers they name (`credsStore`, `credHelpers`), run by credential-helper.ts.
 */
import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import type { HelperConfig } from './credential-helper.ts';
import type { RegistryOptions } from './registry-options.ts';

const DockerConfigFile = z.looseObject({
  auths: z.record(z.string(), z.looseObject({
    auth: z.string().optional(),
    username: z.string().optional(),
    password: z.string().optional(),
    identitytoken: z.string().optional(),
  })).optional(),
  credsStore: z.string().regex(/^[\w.-]*$/, 'a helper name (docker-credential-<name>)').optional(),
  credHelpers: z.record(z.string(), z.string().regex(/^[\w.-]+$/, 'a helper name (docker-credential-<name>)')).optional(),
});

export interface CredentialFile {
  /** Static credentials by `host` (or `host/namespace` in auth.json). */
  entries: Record<string, RegistryOptions>;
  helpers: HelperConfig;
}

export async function loadDockerConfig(path: string): Promise<Record<string, RegistryOptions>> {
  return (await loadCredentialFile(path)).entries;
}

/** One credential file; a missing file holds nothing. */
export async function loadCredentialFile(path: string): Promise<CredentialFile> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { entries: {}, helpers: { where: path, credHelpers: {} } };
    throw new InvalidInputError('CONFIG_INVALID', `cannot read Docker config ${path}: ${(error as Error).message}`, { cause: error });
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InvalidInputError('CONFIG_INVALID', `Docker config ${path} is not valid JSON`);
  }
  const parsed = DockerConfigFile.safeParse(json);
  if (!parsed.success) throw new InvalidInputError('CONFIG_INVALID', `Docker config ${path}: ${parsed.error.issues.map((i) => `${i.path.join('.')}: ${i.message}`).join('; ')}`);
  return {
    entries: parseAuths(parsed.data.auths ?? {}, path),
    helpers: { where: path, credHelpers: parsed.data.credHelpers ?? {}, ...(parsed.data.credsStore ? { credsStore: parsed.data.credsStore } : {}) },
  };
}

function parseAuths(auths: NonNullable<z.infer<typeof DockerConfigFile>['auths']>, path: string): Record<string, RegistryOptions> {
  const out: Record<string, RegistryOptions> = {};
  for (const [key, entry] of Object.entries(auths)) {
    const options: RegistryOptions = {};
    if (entry.auth) {
      const decoded = Buffer.from(entry.auth, 'base64').toString('utf8');
      const colon = decoded.indexOf(':');
      if (colon === -1) throw new InvalidInputError('CONFIG_INVALID', `Docker config ${path}: auths["${key}"].auth is not base64 of user:password`);
      options.username = decoded.slice(0, colon);
      options.password = decoded.slice(colon + 1);
    }
    if (entry.username) options.username = entry.username;
    if (entry.password) options.password = entry.password;
    if (entry.identitytoken) options.identityToken = entry.identitytoken;
    // Docker keeps Docker Hub under its v1 index URL.
    out[key === 'https://index.docker.io/v1/' ? 'docker.io' : key] = options;
  }
  return out;
}
