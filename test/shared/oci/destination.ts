import assert from 'node:assert/strict';
import { getBlob, getManifest, sha256Digest, type PushedManifest, type RegistryTarget } from '../../support/images.ts';

// Assertions on what a destination registry holds, read with test/support's independent
// reader: the code under test never checks its own work.

/** The manifest at `reference` has the pushed bytes, and every blob (and child) is there byte for byte. */
export async function assertImageAt(
  reg: RegistryTarget,
  repo: string,
  reference: string,
  pushed: PushedManifest & { children?: PushedManifest[] },
): Promise<void> {
  const fetched = await getManifest(reg, repo, reference);
  assert.ok(fetched, `${repo}:${reference} is missing at ${reg.url}`);
  assert.equal(fetched.digest, pushed.digest);
  assert.equal(fetched.mediaType, pushed.mediaType);
  assert.deepEqual(fetched.bytes, pushed.bytes);
  for (const blob of pushed.blobs) {
    assert.equal(sha256Digest(await getBlob(reg, repo, blob.digest)), blob.digest, `blob ${blob.digest} of ${repo}`);
  }
  for (const child of pushed.children ?? []) await assertImageAt(reg, repo, child.digest, child);
}
