/**
 * Docker credential helpers (docker/docker-credential-helpers protocol): `docker-credential-<name>
 * get` reads the server URL on stdin and writes `{"ServerURL","Username","Secret"}`; the username
 * `<token>` means the secret is an identity (refresh) token. A helper that knows nothing for the
 * server says "credentials not found" and exits non-zero: the registry is then tried anonymously.
 * Used by the CLI only: the service never runs programs named by a config file.
 */
import { execFile } from 'node:child_process';
import { z } from 'zod';
import { InvalidInputError } from '../errors.ts';
import type { Logger } from '../log.ts';
import type { CredentialProvider, CredentialProviders, ProvidedCredentials } from './credential-provider.ts';
import { normalizeRegistry } from './reference.ts';

const HelperAnswer = z.looseObject({ ServerURL: z.string().optional(), Username: z.string().optional(), Secret: z.string() });
const HELPER_TIMEOUT_MS = 30_000;
const NOT_FOUND = /credentials not found/i;

/** Runs `docker-credential-<helper> get` with `input` on stdin; its stdout, or the error with its stderr/stdout. */
export type RunHelper = (program: string, input: string) => Promise<string>;

const runHelper: RunHelper = (program, input) =>
  new Promise((resolve, reject) => {
    const child = execFile(program, ['get'], { timeout: HELPER_TIMEOUT_MS, maxBuffer: 1024 * 1024 }, (error, stdout, stderr) => {
      if (error) reject(Object.assign(error, { output: `${stdout}${stderr}`.trim() }));
      else resolve(stdout);
    });
    child.stdin?.end(input);
  });

/** The server URL a helper is asked about: Docker keeps Docker Hub under its v1 index URL. */
export function helperServerUrl(registry: string): string {
  const host = normalizeRegistry(registry);
  return host === 'docker.io' ? 'https://index.docker.io/v1/' : host;
}

export function credentialHelperProvider(helper: string, registry: string, options: { run?: RunHelper; logger?: Logger; where: string }): CredentialProvider {
  const program = `docker-credential-${helper}`;
  let answer: Promise<ProvidedCredentials> | undefined;
  const ask = async (): Promise<ProvidedCredentials> => {
    let stdout: string;
    try {
      stdout = await (options.run ?? runHelper)(program, helperServerUrl(registry));
    } catch (error) {
      const e = error as NodeJS.ErrnoException & { output?: string };
      if (e.code === 'ENOENT') {
        throw new InvalidInputError('CONFIG_INVALID', `${options.where} names credential helper "${helper}" for ${registry}, but ${program} is not on PATH`);
      }
      if (NOT_FOUND.test(e.output ?? '')) {
        options.logger?.debug('credential helper has no credentials', { helper, registry });
        return {};
      }
      throw new InvalidInputError('CONFIG_INVALID', `${program} get for ${registry} (${options.where}) failed: ${(e.output ?? '').split('\n')[0] || e.message}`);
    }
    let parsed;
    try {
      parsed = HelperAnswer.safeParse(JSON.parse(stdout));
    } catch {
      parsed = undefined;
    }
    if (!parsed?.success) throw new InvalidInputError('CONFIG_INVALID', `${program} get for ${registry} did not answer {"Username","Secret"} JSON`);
    const { Username, Secret } = parsed.data;
    options.logger?.debug('credential helper answered', { helper, registry });
    return Username === '<token>' ? { identityToken: Secret } : { username: Username ?? '', password: Secret };
  };
  return {
    credentials: () => {
      answer ??= ask().catch((error: unknown) => {
        answer = undefined;
        throw error;
      });
      return answer;
    },
  };
}

/** Helper names by host (`credHelpers`) and the default store (`credsStore`), from one file. */
export interface HelperConfig {
  where: string;
  credsStore?: string;
  credHelpers: Record<string, string>;
}

/**
 * The helpers of the credential files, most important first: a registry with static credentials
 * (an explicit auth file, or an `auths` entry) needs none; otherwise the first file naming a
 * helper for its host in `credHelpers`, then the first file's `credsStore`.
 */
export function credentialHelpers(files: HelperConfig[], options: { run?: RunHelper; logger?: Logger } = {}): CredentialProviders {
  const providers = new Map<string, CredentialProvider>();
  return (registry, registryOptions) => {
    if (registryOptions.username !== undefined || registryOptions.identityToken !== undefined) return undefined;
    const host = normalizeRegistry(registry);
    const byHost = files.flatMap((f) => {
      const name = Object.entries(f.credHelpers).find(([key]) => normalizeRegistry(key.replace(/^https?:\/\//, '').replace(/\/.*$/, '')) === host)?.[1];
      return name ? [{ name, where: `${f.where} credHelpers` }] : [];
    })[0];
    const chosen = byHost ?? files.flatMap((f) => (f.credsStore ? [{ name: f.credsStore, where: `${f.where} credsStore` }] : []))[0];
    if (!chosen) return undefined;
    const key = `${chosen.name}\u0000${host}`;
    let provider = providers.get(key);
    if (!provider) {
      provider = credentialHelperProvider(chosen.name, host, { ...options, where: chosen.where });
      providers.set(key, provider);
    }
    return provider;
  };
}
