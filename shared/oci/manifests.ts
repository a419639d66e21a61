/** Manifest GET/HEAD/PUT by tag or digest, keeping the registry's exact bytes. */
import { CrossdockError } from '../errors.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import { digestOf, parseManifest, type Manifest } from './manifest.ts';
import { MANIFEST_ACCEPT } from './media-types.ts';
import { isDigest } from './reference.ts';
import { RegistryUnreachableError } from './registry-error.ts';
import { retry } from './retry.ts';
import { pullScope, pushScope } from './scope.ts';

/** Registries cap manifests at a few MiB (distribution: 4 MiB); more is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

export class ManifestDigestMismatchError extends CrossdockError {
  constructor(what: string, expected: string, actual: string) {
    super('DIGEST_MISMATCH', `${what}: manifest bytes hash to ${actual}, expected ${expected}`, { retryable: true });
  }
}

/** The connection broke while the manifest body was read. */
class ManifestReadError extends RegistryUnreachableError {
  constructor(what: string, cause: unknown) {
    super(`${what}: reading the body`, cause);
  }
}

export interface ManifestHead {
  digest: string;
  mediaType: string | undefined;
  size: number | undefined;
}

export async function getManifest(client: RegistryClient, repository: string, reference: string, options: CallOptions = {}): Promise<Manifest> {
  const what = `GET manifest ${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  // The transport retries statuses; a body that broke or hashed wrong is fetched again here.
  return retry(what, client.retryContext(options), () => fetchManifest(client, repository, reference, options, what), (error) => ({
    retryable: error instanceof ManifestDigestMismatchError || error instanceof ManifestReadError,
  }));
}

async function fetchManifest(client: RegistryClient, repository: string, reference: string, options: CallOptions, what: string): Promise<Manifest> {
  const res = await client.send({
    ...options,
    method: 'GET',
    path: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [pullScope(repository)],
    expect: [200],
    what,
  });
  const chunks: Buffer[] = [];
  let size = 0;
  try {
    for await (const chunk of res.body) {
      size += (chunk as Buffer).length;
      if (size > MAX_MANIFEST_BYTES) {
        res.body.destroy();
        throw new CrossdockError('MANIFEST_TOO_LARGE', `${what}: manifest larger than ${MAX_MANIFEST_BYTES} bytes`);
      }
      chunks.push(chunk as Buffer);
    }
  } catch (error) {
    if (error instanceof CrossdockError || options.signal?.aborted) throw error;
    throw new ManifestReadError(what, error);
  }
  const bytes = Buffer.concat(chunks);
  const algorithm = isDigest(reference) ? reference.split(':')[0]! : 'sha256';
  const digest = digestOf(bytes, algorithm);
  if (isDigest(reference) && digest !== reference) throw new ManifestDigestMismatchError(what, reference, digest);
  const contentType = typeof res.headers['content-type'] === 'string' ? res.headers['content-type'] : undefined;
  return parseManifest(bytes, contentType, digest, what);
}

/** HEAD a manifest: its digest and media type, or undefined when absent. */
export async function headManifest(client: RegistryClient, repository: string, reference: string, options: CallOptions & { push?: boolean } = {}): Promise<ManifestHead | undefined> {
  const what = `HEAD manifest ${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  const res = await client.send({
    ...options,
    method: 'HEAD',
    path: `/v2/${repository}/manifests/${reference}`,
    headers: { accept: MANIFEST_ACCEPT },
    scopes: [options.push ? pushScope(repository) : pullScope(repository)],
    expect: [200, 404],
    what,
  });
  await res.body.dump();
  if (res.status === 404) return undefined;
  const header = res.headers['docker-content-digest'];
  const contentType = res.headers['content-type'];
  const length = Number(res.headers['content-length']);
  let digest = typeof header === 'string' && isDigest(header) ? header : undefined;
  if (digest === undefined && isDigest(reference)) digest = reference;
  if (digest === undefined) {
    // Some registries omit Docker-Content-Digest on HEAD: the bytes tell.
    const manifest = await getManifest(client, repository, reference, options);
    return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length };
  }
  return {
    digest,
    mediaType: typeof contentType === 'string' ? contentType.split(';')[0]!.trim() : undefined,
    size: Number.isFinite(length) ? length : undefined,
  };
}

export interface PutManifestResult {
  digest: string;
  /** The registry processed the `subject` field itself (OCI 1.1 `OCI-Subject` header). */
  subjectProcessed: boolean;
}

/** PUT manifest bytes unchanged, so the destination computes the same digest. */
export async function putManifest(
  client: RegistryClient,
  repository: string,
  reference: string,
  manifest: Pick<Manifest, 'bytes' | 'mediaType' | 'digest'>,
  options: CallOptions = {},
): Promise<PutManifestResult> {
  const res = await client.send({
    ...options,
    method: 'PUT',
    path: `/v2/${repository}/manifests/${reference}`,
    headers: { 'content-type': manifest.mediaType },
    body: manifest.bytes,
    scopes: [pushScope(repository)],
    expect: [201, 200, 202],
    what: `PUT manifest ${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`,
  });
  await res.body.dump();
  const header = res.headers['docker-content-digest'];
  return {
    digest: typeof header === 'string' && isDigest(header) ? header : manifest.digest,
    subjectProcessed: res.headers['oci-subject'] !== undefined,
  };
}
