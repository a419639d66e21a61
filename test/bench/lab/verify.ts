import { createHash } from 'node:crypto';
import { request } from 'undici';
import { z } from 'zod';
import { getManifest } from '../../support/registry-reader.ts';
import type { RegistryTarget } from '../../support/registry-client.ts';

// Check a copy without trusting the copier: every tag named resolves at the destination to the same
// manifest bytes as at the source; every child manifest of an index, every manifest an index lists
// (the referrers tag schema's) and every config and layer blob is there, each blob read whole and
// hashed, its size counted. Reads with test/support's client; blobs stream (lab registries: plain
// HTTP, no credentials), so a 2 GiB layer is never held.

export type CopyMapping = { source: string; destination: string; tags: string[] };
export type VerifyReport = { ok: boolean; tags: number; manifests: number; blobs: number; bytes: number; problems: string[] };

const MAX_PROBLEMS = 20;
const CONCURRENCY = 4;

const Manifest = z.looseObject({
  manifests: z.array(z.looseObject({ digest: z.string() })).optional(),
  config: z.looseObject({ digest: z.string(), size: z.number() }).optional(),
  layers: z.array(z.looseObject({ digest: z.string(), size: z.number() })).optional(),
});

export async function verifyCopy(source: RegistryTarget, destination: RegistryTarget, mappings: CopyMapping[]): Promise<VerifyReport> {
  const problems: string[] = [];
  const seenManifests = new Set<string>();
  const seenBlobs = new Set<string>();
  let tags = 0;
  let bytes = 0;

  const checkBlob = async (repo: string, blob: { digest: string; size: number }): Promise<void> => {
    const key = `${repo}@${blob.digest}`;
    if (seenBlobs.has(key)) return;
    seenBlobs.add(key);
    const res = await request(new URL(`/v2/${repo}/blobs/${blob.digest}`, destination.url));
    if (res.statusCode !== 200) {
      await res.body.dump();
      problems.push(`blob ${key}: destination answered ${res.statusCode}`);
      return;
    }
    const hash = createHash('sha256');
    let size = 0;
    for await (const chunk of res.body) {
      hash.update(chunk as Buffer);
      size += (chunk as Buffer).length;
    }
    const digest = `sha256:${hash.digest('hex')}`;
    if (digest !== blob.digest || size !== blob.size) problems.push(`blob ${key}: destination bytes hash to ${digest}, ${size} bytes (expected ${blob.size})`);
    else bytes += size;
  };

  const checkManifest = async (mapping: CopyMapping, reference: string): Promise<void> => {
    const where = `${mapping.destination}:${reference}`;
    const [want, got] = await Promise.all([getManifest(source, mapping.source, reference), getManifest(destination, mapping.destination, reference)]);
    if (!want) {
      problems.push(`${mapping.source}:${reference}: not at the source (the workload is not what the lab seeded)`);
      return;
    }
    if (!got) {
      problems.push(`${where}: missing at the destination`);
      return;
    }
    if (!got.bytes.equals(want.bytes)) {
      problems.push(`${where}: destination manifest ${got.digest} differs from the source's ${want.digest}`);
      return;
    }
    const key = `${mapping.destination}@${want.digest}`;
    if (seenManifests.has(key)) return;
    seenManifests.add(key);
    const parsed = Manifest.safeParse(JSON.parse(want.bytes.toString('utf8')));
    if (!parsed.success) {
      problems.push(`${where}: manifest is not an image manifest or index`);
      return;
    }
    for (const child of parsed.data.manifests ?? []) await checkManifest(mapping, child.digest);
    for (const blob of [...(parsed.data.config ? [parsed.data.config] : []), ...(parsed.data.layers ?? [])]) await checkBlob(mapping.destination, blob);
  };

  let next = 0;
  const worker = async () => {
    for (let i = next++; i < mappings.length; i = next++) {
      const mapping = mappings[i]!;
      for (const tag of mapping.tags) {
        tags++;
        await checkManifest(mapping, tag);
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(CONCURRENCY, mappings.length) }, worker));
  return {
    ok: problems.length === 0,
    tags,
    manifests: seenManifests.size,
    blobs: seenBlobs.size,
    bytes,
    problems: problems.length > MAX_PROBLEMS ? [...problems.slice(0, MAX_PROBLEMS), `… and ${problems.length - MAX_PROBLEMS} more`] : problems,
  };
}
