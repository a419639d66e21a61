/**
 * JFrog Artifactory webhooks, `docker` domain, `pushed` event: `{domain, event_type, data,
 * subscription_key, jpd_origin, source}`. JFrog docs "Event Types / Domain: Docker".
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, hostOf, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';

const Envelope = z.looseObject({
  domain: z.string(),
  event_type: z.string(),
  jpd_origin: z.string().optional(),
  data: z.looseObject({}),
});

const Pushed = z.looseObject({
  repo_key: z.string(),
  name: z.string(),
  image_name: z.string(),
  tag: z.string(),
  sha256: z.string().regex(/^[a-f0-9]{64}$/, 'not a lowercase hex SHA-256'),
});

// `path` is `<image>/<tag>/<file>`: the stored manifest (image) or list.manifest.json (list or
// index; which of the two is not said, so mediaType is left to the worker to resolve).
const MANIFEST_FILES = new Set(['manifest.json', 'list.manifest.json']);

export function parseJFrog(body: unknown, context: DeliveryContext): ParsedDelivery {
  const envelope = parsePayload('jfrog', Envelope, body);
  const collector = createCollector('jfrog', context);
  if (envelope.domain !== 'docker' || envelope.event_type !== 'pushed') {
    collector.ignore(envelope.event_type === 'deleted' ? 'delete' : 'not-a-push');
    return collector.result();
  }
  const data = parsePayload('jfrog', Pushed, envelope.data, ['data']);
  if (!MANIFEST_FILES.has(data.name)) {
    collector.ignore('not-a-manifest');
    return collector.result();
  }
  // The Docker host depends on Artifactory's access method and is not in the payload. A configured
  // host (subdomain or port method, a reverse proxy) serves this repository at its root; without
  // one, the platform host with the repository path method (`<host>/<repo_key>/<image>`).
  const repoPath = context.registry === undefined;
  collector.push({
    registry: hostOf(envelope.jpd_origin),
    repository: repoPath ? `${data.repo_key}/${data.image_name}` : data.image_name,
    tag: data.tag,
    // The checksum of the stored manifest file, which is the manifest's digest.
    digest: `sha256:${data.sha256}`,
  });
  return collector.result();
}
