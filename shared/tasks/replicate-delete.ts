/**
 * A `delete` task: the tag was deleted at the source, and the rule replicates deletions. Removes
 * the destination tag unless that would lose something:
 * - the tag is back at the source (pushed again since the delete) → skipped;
 * - the destination tag points at another digest than the one deleted (re-pushed there) → skipped;
 * - the registry cannot delete a tag alone and another destination tag shares the digest
 *   (deleting the manifest by digest would remove that tag too) → skipped, with that tag named.
 * Otherwise the tag is deleted by tag, or, where tags cannot be deleted alone, its manifest by digest.
 */
import type { CallOptions } from '../oci/client.ts';
import { deleteManifest } from '../oci/delete-manifest.ts';
import { headManifest } from '../oci/manifests.ts';
import { formatReference } from '../oci/reference.ts';
import type { RegistryPool } from '../oci/registry-pool.ts';
import { listTags } from '../oci/tags.ts';
import type { Task, TaskResult } from './task.ts';

export interface DeleteResult {
  status: 'SUCCEEDED' | 'SKIPPED';
  result: TaskResult;
}

export async function replicateDelete(pool: RegistryPool, task: Task, options: CallOptions): Promise<DeleteResult> {
  const tag = task.destination.tag ?? task.source.tag;
  if (tag === undefined || task.source.tag === undefined) return skipped(task, undefined, 'a delete names the tag it removes; this one names none');
  const destination = formatReference({ ...task.destination, tag });
  const src = pool.client(task.source.registry, task.source.repository);
  const again = await headManifest(src, task.source.repository, task.source.tag, options);
  if (again) return skipped(task, again.digest, `${formatReference(task.source)} exists again at the source (${again.digest}); ${destination} is kept`);

  const dst = pool.client(task.destination.registry, task.destination.repository);
  const current = await headManifest(dst, task.destination.repository, tag, options);
  if (!current) return skipped(task, undefined, `${destination} is already absent`);
  if (task.source.digest !== undefined && current.digest !== task.source.digest) {
    return skipped(task, current.digest, `${destination} points at ${current.digest}, not the deleted ${task.source.digest}: it was pushed again and is kept`);
  }
  const byTag = await deleteManifest(dst, task.destination.repository, tag, options);
  if (byTag === 'deleted' || byTag === 'absent') return done(task, current.digest, byTag === 'deleted' ? `deleted ${destination}` : `${destination} is already absent`);

  // The registry deletes manifests only: that removes every tag pointing at the digest.
  const others: string[] = [];
  for (const other of await listTags(dst, task.destination.repository, options)) {
    if (other === tag) continue;
    if ((await headManifest(dst, task.destination.repository, other, options))?.digest === current.digest) others.push(other);
  }
  if (others.length > 0) {
    return skipped(task, current.digest, `${destination}: the registry cannot delete a tag alone, and ${others.slice(0, 5).join(', ')}${others.length > 5 ? ` and ${others.length - 5} more` : ''} point${others.length === 1 ? 's' : ''} at the same manifest ${current.digest}; nothing deleted`);
  }
  const byDigest = await deleteManifest(dst, task.destination.repository, current.digest, options);
  if (byDigest === 'unsupported') return skipped(task, current.digest, `${destination}: the registry refuses deletes (deletion disabled?); nothing deleted`);
  return done(task, current.digest, `deleted ${destination} (its manifest ${current.digest}, no other tag pointing at it)`);
}

function result(task: Task, digest: string | undefined, reason: string): TaskResult {
  const sourceDigest = task.source.digest ?? digest ?? '';
  return { sourceDigest, digest: digest ?? sourceDigest, digestPreserved: true, bytes: 0, manifests: 0, blobs: { copied: 0, mounted: 0, skipped: 0 }, referrers: 0, reason };
}

const done = (task: Task, digest: string | undefined, reason: string): DeleteResult => ({ status: 'SUCCEEDED', result: result(task, digest, reason) });
const skipped = (task: Task, digest: string | undefined, reason: string): DeleteResult => ({ status: 'SKIPPED', result: result(task, digest, reason) });
