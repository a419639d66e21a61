import { request } from 'undici';
import type { Descriptor } from '../../support/images.ts';
import { header, sendExpecting, type RegistryTarget } from '../../support/registry-client.ts';
import { labByteDigest, labByteStream } from './bytes.ts';

/**
 * Push a blob of `size` lab bytes without holding it: digest first (one generating pass), then
 * POST and one monolithic PUT ?digest= whose body streams (distribution-spec "Pushing a blob
 * monolithically"). test/support's pushBlob takes a Buffer, which a 2 GiB layer must not be.
 * For the lab's registries: plain HTTP, no credentials.
 */
export async function pushStreamedBlob(reg: RegistryTarget, repo: string, seed: string, size: number, mediaType: string): Promise<Descriptor> {
  if (reg.credentials || reg.tls) throw new Error(`pushStreamedBlob ${repo} on ${reg.url}: only plain, unauthenticated lab registries`);
  const digest = await labByteDigest(seed, size);
  const head = await sendExpecting(reg, { method: 'HEAD', path: `/v2/${repo}/blobs/${digest}`, repository: repo }, 200, 404);
  if (head.status === 200) return { mediaType, digest, size };
  const started = await sendExpecting(reg, { method: 'POST', path: `/v2/${repo}/blobs/uploads/`, repository: repo }, 202);
  const location = header(started, 'location');
  if (!location) throw new Error(`pushStreamedBlob ${repo} ${digest} on ${reg.url}: upload answered 202 without Location`);
  const upload = new URL(location, reg.url);
  upload.searchParams.set('digest', digest);
  const res = await request(upload, {
    method: 'PUT',
    headers: { 'content-type': 'application/octet-stream', 'content-length': String(size) },
    body: labByteStream(seed, size),
  });
  const answer = Buffer.from(await res.body.arrayBuffer()).subarray(0, 300).toString('utf8');
  if (res.statusCode !== 201) throw new Error(`pushStreamedBlob ${repo} ${digest} on ${reg.url}: PUT answered ${res.statusCode} ${answer}`);
  return { mediaType, digest, size };
}
