/**
 * The options of each registry, looked up by host or by `host/namespace` (the longer match wins,
 * as image-syncer's auth file does).
 */
import { readFileSync } from 'node:fs';
import { InvalidInputError } from '../errors.ts';
import { normalizeRegistry } from './reference.ts';
import type { RegistryOptions } from './registry-options.ts';

export class RegistryDirectory {
  readonly #entries = new Map<string, RegistryOptions>();

  constructor(entries: Record<string, RegistryOptions> = {}) {
    for (const [key, value] of Object.entries(entries)) this.set(key, value);
  }

  set(key: string, options: RegistryOptions): void {
    const normalized = normalizeKey(key);
    this.#entries.set(normalized, { ...this.#entries.get(normalized), ...options });
  }

  /** Adds entries only where nothing is configured yet (Docker config below explicit config). */
  fill(entries: Record<string, RegistryOptions>): void {
    for (const [key, value] of Object.entries(entries)) {
      const normalized = normalizeKey(key);
      this.#entries.set(normalized, { ...value, ...this.#entries.get(normalized) });
    }
  }

  /** Options for a registry, most specific first: `host/ns/repo`, `host/ns`, `host`. */
  resolve(registry: string, repository?: string): RegistryOptions {
    const host = normalizeRegistry(registry);
    const base = this.#entries.get(host) ?? {};
    if (repository === undefined) return base;
    const parts = repository.split('/');
    for (let i = parts.length; i > 0; i--) {
      const entry = this.#entries.get(`${host}/${parts.slice(0, i).join('/')}`);
      if (entry) return { ...base, ...entry };
    }
    return base;
  }

  /** The CA bundle for a registry, read once from `ca` or `caFile`. */
  static caOf(options: RegistryOptions, registry: string): string | undefined {
    if (options.ca) return options.ca;
    if (!options.caFile) return undefined;
    try {
      return readFileSync(options.caFile, 'utf8');
    } catch (error) {
      throw new InvalidInputError('CONFIG_INVALID', `registry ${registry}: cannot read caFile ${options.caFile}: ${(error as Error).message}`, { cause: error });
    }
  }
}

function normalizeKey(key: string): string {
  const trimmed = key.replace(/^https?:\/\//, '').replace(/\/+$/, '').replace(/\/v[12]$/, '');
  const slash = trimmed.indexOf('/');
  if (slash === -1) return normalizeRegistry(trimmed);
  return `${normalizeRegistry(trimmed.slice(0, slash))}${trimmed.slice(slash)}`;
}
