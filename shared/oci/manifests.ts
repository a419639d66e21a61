/** Manifest GET/HEAD/PUT by tag or digest, keeping the registry's exact bytes. */
import { CrossdockError } from '../errors.ts';
import { retryDecision, type CallOptions, type RegistryClient } from './client.ts';
import { digestOf, parseManifest, type Manifest } from './manifest-schema.ts';
import { MANIFEST_ACCEPT } from './media-types.ts';
import { isDigest } from './reference.ts';
import { RegistryUnreachableError } from './registry-error.ts';
import { pullScope, pushScope } from './scope.ts';

/** Registries cap manifests at a few MiB (distribution: 4 MiB); more is not a manifest. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024;

/**
 * Fresh reads of a manifest whose bytes hash wrong before giving up: one bad read may be a
 * broken cache or connection, the same mismatch again and again is not going to heal.
 */
export const MAX_MANIFEST_READS = 3;

/** Permanent: getManifest already read the manifest afresh up to MAX_MANIFEST_READS times. */
export class ManifestDigestMismatchError extends CrossdockError {
  constructor(what: string, expected: string, actual: string, reads: number) {
    super('DIGEST_MISMATCH', `${what}: manifest bytes hash to ${actual}, expected ${expected} (${reads} ${reads === 1 ? 'read' : 'reads'})`, { retryable: false });
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
  /** The manifest itself, when the registry's HEAD named no digest and a GET had to tell. */
  manifest?: Manifest;
}

export async function getManifest(client: RegistryClient, repository: string, reference: string, options: CallOptions = {}): Promise<Manifest> {
  const what = `GET manifest ${client.registry}/${repository}${isDigest(reference) ? '@' : ':'}${reference}`;
  // This layer owns the retry of a manifest read, statuses included: a body that broke is read
  // again like a 503, a wrong hash only a bounded number of times. The GET itself is sent once.
  let reads = 0;
  return client.retrying(
    what,
    options,
    () => {
      reads++;
      return fetchManifest(client, repository, reference, { ...options, retry: 'never' }, what, reads);
    },
    (error) => (error instanceof ManifestDigestMismatchError ? { retryable: reads < MAX_MANIFEST_READS } : retryDecision(error)),
  );
}

async function fetchManifest(client: RegistryClient, repository: string, reference: string, options: CallOptions, what: string, reads: number): Promise<Manifest> {
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
  // By digest the reference is what the bytes must hash to; by tag, the registry's own
  // Docker-Content-Digest (bytes changed on the way would otherwise be copied as a new image).
  const header = res.headers['docker-content-digest'];
  const named = typeof header === 'string' && /^sha(256|512):/.test(header) && isDigest(header) ? header : undefined;
  const expected = isDigest(reference) ? reference : named;
  const digest = digestOf(bytes, expected ? expected.split(':')[0]! : 'sha256');
  if (expected !== undefined && digest !== expected) throw new ManifestDigestMismatchError(what, expected, digest, reads);
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
    return { digest: manifest.digest, mediaType: manifest.mediaType, size: manifest.bytes.length, manifest };
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
