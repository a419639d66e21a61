/**
 * Image references: `registry/repository[:tag][@digest]`, following the grammar of the
 * distribution reference package that docker, containerd and every registry client share.
 * Docker Hub names are normalised (`alpine` → `docker.io/library/alpine`).
 */
import { InvalidInputError } from '../errors.ts';

export const DOCKER_HUB = 'docker.io';
/** The host that actually serves Docker Hub's registry API. */
export const DOCKER_HUB_API = 'registry-1.docker.io';
const DOCKER_HUB_ALIASES = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io', 'registry.hub.docker.com']);

const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*|\[[0-9a-fA-F:.]+\])(?::[0-9]{1,5})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^[a-z0-9]+(?:[.+_-][a-z0-9]+)*:[a-zA-Z0-9=_-]+$/;
const SHA256 = /^sha256:[a-f0-9]{64}$/;
const SHA512 = /^sha512:[a-f0-9]{128}$/;
const MAX_NAME_LENGTH = 255;

export interface Reference {
  /** Registry host as users write it, with port; `docker.io` for Docker Hub. */
  registry: string;
  /** Repository path inside the registry, e.g. `library/alpine`. */
  repository: string;
  tag?: string;
  digest?: string;
}

export interface RepositoryName {
  registry: string;
  repository: string;
}

/** Parses `registry/repository[:tag][@digest]`; throws an InvalidInputError naming the problem. */
export function parseReference(input: string): Reference {
  const text = input.trim();
  if (text === '') throw invalid(input, 'empty reference');
  let rest = text;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    assertDigest(digest, input);
  }
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) throw invalid(input, `invalid tag "${tag}"`);
  }
  const name = parseRepositoryName(rest, input);
  return { ...name, ...(tag === undefined ? {} : { tag }), ...(digest === undefined ? {} : { digest }) };
}

/** Parses `registry/repository` (no tag, no digest). */
export function parseRepositoryName(input: string, original = input): RepositoryName {
  const slash = input.indexOf('/');
  let registry = DOCKER_HUB;
  let path = input;
  if (slash !== -1) {
    const first = input.slice(0, slash);
    if (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase()) {
      registry = first;
      path = input.slice(slash + 1);
    }
  }
  if (!DOMAIN.test(registry)) throw invalid(original, `invalid registry "${registry}"`);
  if (DOCKER_HUB_ALIASES.has(registry.toLowerCase())) {
    registry = DOCKER_HUB;
    if (!path.includes('/')) path = `library/${path}`;
  }
  if (path === '') throw invalid(original, 'missing repository');
  for (const component of path.split('/')) {
    if (!PATH_COMPONENT.test(component)) {
      throw invalid(original, `invalid repository path component "${component}" (lowercase letters, digits and . _ - separators)`);
    }
  }
  if (registry.length + 1 + path.length > MAX_NAME_LENGTH) throw invalid(original, `name longer than ${MAX_NAME_LENGTH} characters`);
  return { registry, repository: path };
}

export function isDigest(value: string): boolean {
  return DIGEST.test(value) && (!value.startsWith('sha256:') || SHA256.test(value)) && (!value.startsWith('sha512:') || SHA512.test(value));
}

export function isTag(value: string): boolean {
  return TAG.test(value);
}

function assertDigest(digest: string, input: string): void {
  if (!isDigest(digest)) throw invalid(input, `invalid digest "${digest}"`);
  if (!digest.startsWith('sha256:') && !digest.startsWith('sha512:')) {
    throw invalid(input, `unsupported digest algorithm "${digest.split(':')[0]}" (sha256 and sha512 are supported)`);
  }
}

/** `registry/repository[:tag][@digest]`, the form users read. */
export function formatReference(ref: Reference): string {
  return `${ref.registry}/${ref.repository}${ref.tag ? `:${ref.tag}` : ''}${ref.digest ? `@${ref.digest}` : ''}`;
}

/** The tag or digest to address a manifest by: the digest wins, as in `docker pull`. */
export function manifestReference(ref: Reference): string {
  const value = ref.digest ?? ref.tag;
  if (value === undefined) throw invalid(formatReference(ref), 'no tag or digest');
  return value;
}

/** The host that serves the registry API for a registry name. */
export function registryApiHost(registry: string): string {
  return registry === DOCKER_HUB ? DOCKER_HUB_API : registry;
}

/** Normalises a registry host the way references do (Docker Hub aliases → docker.io). */
export function normalizeRegistry(registry: string): string {
  return DOCKER_HUB_ALIASES.has(registry.toLowerCase()) ? DOCKER_HUB : registry;
}

function invalid(input: string, why: string): InvalidInputError {
  return new InvalidInputError('REFERENCE_INVALID', `invalid image reference "${input}": ${why}`);
}
