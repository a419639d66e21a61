/**
 * Blob endpoints: HEAD, streamed GET (redirects followed), upload sessions with cross-repository
 * mount, monolithic PUT and chunked PATCH uploads (distribution-spec "Pushing blobs").
 */
import type { Readable } from 'node:stream';
import { RegistryProtocolError } from './registry-error.ts';
import type { CallOptions, RegistryClient } from './client.ts';
import { pullScope, pushScope } from './scope.ts';

const OCTET_STREAM = 'application/octet-stream';

/** HEAD a blob: its size when present, undefined when absent. */
export async function headBlob(client: RegistryClient, repository: string, digest: string, options: CallOptions & { push?: boolean } = {}): Promise<number | undefined> {
  const res = await client.send({
    ...options,
    method: 'HEAD',
    path: `/v2/${repository}/blobs/${digest}`,
    scopes: [options.push ? pushScope(repository) : pullScope(repository)],
    expect: [200, 404],
    followRedirects: true,
    what: `HEAD blob ${client.registry}/${repository}@${digest}`,
  });
  await res.body.dump();
  if (res.status === 404) return undefined;
  const length = Number(res.headers['content-length']);
  return Number.isFinite(length) ? length : -1;
}

/** Opens a blob for streaming. The body is consumed once; retrying means opening it again. */
export async function openBlob(client: RegistryClient, repository: string, digest: string, options: CallOptions = {}): Promise<Readable> {
  const res = await client.send({
    ...options,
    method: 'GET',
    path: `/v2/${repository}/blobs/${digest}`,
    scopes: [pullScope(repository)],
    expect: [200],
    followRedirects: true,
    what: `GET blob ${client.registry}/${repository}@${digest}`,
  });
  return res.body;
}

/**
 * Opens a blob from byte `from` on (`Range: bytes=N-`, RFC 9110 §14.2). A registry or storage
 * that ignores the range answers 200 with the whole blob: `skip` then says how many leading bytes
 * the caller must drop to be at `from`.
 */
export async function openBlobFrom(client: RegistryClient, repository: string, digest: string, from: number, options: CallOptions = {}): Promise<{ body: Readable; skip: number }> {
  if (from === 0) return { body: await openBlob(client, repository, digest, options), skip: 0 };
  const res = await client.send({
    ...options,
    method: 'GET',
    path: `/v2/${repository}/blobs/${digest}`,
    headers: { range: `bytes=${from}-` },
    scopes: [pullScope(repository)],
    expect: [200, 206],
    followRedirects: true,
    what: `GET blob ${client.registry}/${repository}@${digest} from byte ${from}`,
  });
  if (res.status === 200) return { body: res.body, skip: from };
  const start = /^bytes\s+(\d+)-/.exec(String(res.headers['content-range'] ?? ''))?.[1];
  if (start !== undefined && Number(start) !== from) {
    await res.body.dump();
    throw new RegistryProtocolError(`GET blob ${client.registry}/${repository}@${digest}`, `asked for bytes from ${from}, got a range from ${start}`);
  }
  return { body: res.body, skip: 0 };
}

/**
 * Where an upload session stands (distribution-spec "Get upload status"): GET on its location
 * answers 204 with `Range: 0-<last byte>` and a fresh location; 404 (BLOB_UPLOAD_UNKNOWN) means
 * the registry forgot it (purged, restarted without shared storage): undefined.
 * `expected` settles Distribution's ambiguous `0-0` (no byte, or one).
 */
export async function uploadStatus(client: RegistryClient, repository: string, location: string, expected: number, options: CallOptions = {}): Promise<{ offset: number; location: string } | undefined> {
  const what = `GET upload ${client.registry}/${repository}`;
  const res = await client.send({ ...options, method: 'GET', path: location, scopes: [pushScope(repository)], expect: [204, 404], what });
  await res.body.dump();
  if (res.status === 404) return undefined;
  const end = /^(?:bytes=)?0-(\d+)$/.exec(String(res.headers.range ?? '').trim())?.[1];
  if (end === undefined) throw new RegistryProtocolError(what, 'no Range in the upload status');
  const last = Number(end);
  const offset = last === 0 && expected <= 1 ? expected : last + 1;
  return { offset, location: res.headers.location ? locationOf(res.headers.location, res.url, what) : location };
}

/**
 * An open upload. `location` is the session's CURRENT URL: registries answer every PATCH with a
 * new one (Distribution keeps the upload's state and offset in it), and a request with a stale
 * one is refused, a cancel included. The functions below that advance the session update it.
 */
export interface UploadSession {
  location: string;
  minChunkLength: number | undefined;
}

export type UploadStart = { kind: 'mounted' } | ({ kind: 'session' } & UploadSession);

/**
 * Opens an upload session. With `mountFrom`, asks the registry to link the blob from another
 * repository instead (201): a registry that cannot mount opens a session (202) we then use.
 */
export async function startUpload(
  client: RegistryClient,
  repository: string,
  options: CallOptions & { mount?: { digest: string; from: string } } = {},
): Promise<UploadStart> {
  const query = options.mount ? `?mount=${encodeURIComponent(options.mount.digest)}&from=${encodeURIComponent(options.mount.from)}` : '';
  const scopes = [pushScope(repository), ...(options.mount ? [pullScope(options.mount.from)] : [])];
  const res = await client.send({
    ...options,
    method: 'POST',
    path: `/v2/${repository}/blobs/uploads/${query}`,
    headers: { 'content-length': '0' },
    scopes,
    expect: [201, 202],
    what: `POST upload ${client.registry}/${repository}${options.mount ? ` (mount ${options.mount.digest} from ${options.mount.from})` : ''}`,
  });
  await res.body.dump();
  if (res.status === 201) return { kind: 'mounted' };
  return { kind: 'session', location: locationOf(res.headers.location, res.url, 'POST upload'), minChunkLength: numberHeader(res.headers['oci-chunk-min-length']) };
}

/** One PUT with the whole stream as body; `size` is sent as Content-Length. */
export async function putBlob(client: RegistryClient, repository: string, location: string, digest: string, size: number, body: Readable, options: CallOptions = {}): Promise<void> {
  const res = await client.send({
    ...options,
    method: 'PUT',
    path: withDigest(location, digest),
    headers: { 'content-type': OCTET_STREAM, 'content-length': String(size) },
    body,
    scopes: [pushScope(repository)],
    expect: [201],
    what: `PUT blob ${client.registry}/${repository}@${digest}`,
  });
  await res.body.dump();
}

/**
 * PATCH the whole stream as one request of unstated length (chunked transfer encoding, as Docker
 * and skopeo push), leaving the upload open for `commitUpload`. A body that ends early still
 * completes the PATCH: the session stays usable, so it can be cancelled.
 */
export async function patchBlob(client: RegistryClient, repository: string, session: UploadSession, body: Readable, options: CallOptions = {}): Promise<void> {
  const what = `PATCH blob ${client.registry}/${repository}`;
  const res = await client.send({
    ...options,
    method: 'PATCH',
    path: session.location,
    headers: { 'content-type': OCTET_STREAM },
    body,
    scopes: [pushScope(repository)],
    expect: [202],
    what,
  });
  await res.body.dump();
  session.location = locationOf(res.headers.location, res.url, what);
}

/** Closes an upload whose bytes were all sent: PUT with the digest and no body. */
export async function commitUpload(client: RegistryClient, repository: string, session: UploadSession, digest: string, options: CallOptions = {}): Promise<void> {
  const res = await client.send({
    ...options,
    method: 'PUT',
    path: withDigest(session.location, digest),
    headers: { 'content-type': OCTET_STREAM, 'content-length': '0' },
    body: Buffer.alloc(0),
    scopes: [pushScope(repository)],
    expect: [201],
    what: `PUT blob ${client.registry}/${repository}@${digest}`,
  });
  await res.body.dump();
}

/**
 * PATCH the stream in chunks of at least `chunkSize` bytes (raised to the registry's
 * `OCI-Chunk-Min-Length`), then PUT the last chunk with the digest. Memory holds one chunk.
 * `session.location` follows the registry's answers.
 */
export async function putBlobChunked(
  client: RegistryClient,
  repository: string,
  session: UploadSession,
  digest: string,
  body: Readable,
  chunkSize: number,
  options: CallOptions = {},
): Promise<void> {
  const size = Math.max(chunkSize, session.minChunkLength ?? 0);
  const what = `PATCH blob ${client.registry}/${repository}@${digest}`;
  let offset = 0;
  let pending: Buffer[] = [];
  let pendingBytes = 0;

  const flushChunk = async (chunk: Buffer) => {
    const res = await client.send({
      ...options,
      method: 'PATCH',
      path: session.location,
      headers: { 'content-type': OCTET_STREAM, 'content-length': String(chunk.length), 'content-range': `${offset}-${offset + chunk.length - 1}` },
      body: chunk,
      scopes: [pushScope(repository)],
      expect: [202],
      what,
    });
    await res.body.dump();
    session.location = locationOf(res.headers.location, res.url, what);
    offset += chunk.length;
  };

  for await (const data of body) {
    pending.push(data as Buffer);
    pendingBytes += (data as Buffer).length;
    // Strictly more than a chunk: the tail always goes with the final PUT and its digest check.
    while (pendingBytes > size) {
      const all = Buffer.concat(pending);
      await flushChunk(all.subarray(0, size));
      pending = [all.subarray(size)];
      pendingBytes = all.length - size;
    }
  }
  const last = Buffer.concat(pending);
  const res = await client.send({
    ...options,
    method: 'PUT',
    path: withDigest(session.location, digest),
    headers: { 'content-type': OCTET_STREAM, 'content-length': String(last.length), ...(last.length > 0 ? { 'content-range': `${offset}-${offset + last.length - 1}` } : {}) },
    body: last,
    scopes: [pushScope(repository)],
    expect: [201],
    what: `PUT blob ${client.registry}/${repository}@${digest}`,
  });
  await res.body.dump();
}

/**
 * Cancels an upload session at its current location. Any answer but 2xx is a RegistryError: a
 * 404 `BLOB_UPLOAD_UNKNOWN` means the session is gone already, a 404 `BLOB_UPLOAD_INVALID`
 * (Distribution, given a stale location) that it was NOT cancelled and its bytes stay.
 */
export async function cancelUpload(client: RegistryClient, repository: string, session: UploadSession, options: CallOptions = {}): Promise<void> {
  const res = await client.send({ ...options, method: 'DELETE', path: session.location, scopes: [pushScope(repository)], expect: [200, 202, 204], what: `DELETE upload ${client.registry}/${repository}` });
  await res.body.dump();
}

function withDigest(location: string, digest: string): string {
  const url = new URL(location);
  url.searchParams.set('digest', digest);
  return url.toString();
}

function locationOf(header: string | string[] | undefined, base: string, what: string): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (!value) throw new RegistryProtocolError(what, 'registry gave no upload Location');
  return new URL(value, base).toString();
}

function numberHeader(value: string | string[] | undefined): number | undefined {
  const n = Number(Array.isArray(value) ? value[0] : value);
  return Number.isFinite(n) && n > 0 ? n : undefined;
}
