/**
 * GitHub Packages (GHCR) `package` and legacy `registry_package` webhooks, action `published`.
 * github/docs `content/webhooks/webhook-events-and-payloads.md`; octokit/webhooks payload examples.
 */
import { z } from 'zod';
import { createCollector, type DeliveryContext, invalidPayload, parsePayload } from '../delivery.ts';
import type { ParsedDelivery } from '../push-event.ts';
import { fromRfc3339 } from '../timestamps.ts';

const GHCR = 'ghcr.io';
const PACKAGE_EVENTS = ['package', 'registry_package'] as const;
type PackageEvent = (typeof PACKAGE_EVENTS)[number];

const Package = z.looseObject({
  name: z.string(),
  package_type: z.string(),
  updated_at: z.string().nullish(),
  owner: z.looseObject({ login: z.string() }),
  package_version: z.looseObject({
    name: z.string().nullish(),
    version: z.string().nullish(),
    updated_at: z.string().nullish(),
    container_metadata: z
      .looseObject({
        tag: z.looseObject({ name: z.string().nullish(), digest: z.string().nullish() }).nullish(),
        manifest: z.looseObject({ media_type: z.string().nullish() }).nullish(),
      })
      .nullish(),
  }),
});

const PackagePayload = z.looseObject({ action: z.string(), package: Package });
const RegistryPackagePayload = z.looseObject({ action: z.string(), registry_package: Package });

export function parseGitHub(body: unknown, context: DeliveryContext): ParsedDelivery {
  const collector = createCollector('github', context);
  const event = context.headers['x-github-event'] ?? packageKeyOf(body);
  if (event === undefined) throw invalidPayload('github', 'no X-GitHub-Event header and no package or registry_package object');
  if (!isPackageEvent(event)) {
    collector.ignore('not-a-push');
    return collector.result();
  }
  const { action, pkg } = readPackage(event, body);
  if (action !== 'published') {
    collector.ignore('not-a-push');
    return collector.result();
  }
  // Webhooks spell it CONTAINER, the REST API container; npm, maven… packages share the event.
  if (pkg.package_type.toLowerCase() !== 'container') {
    collector.ignore('not-a-container');
    return collector.result();
  }
  const version = pkg.package_version;
  const metadata = version.container_metadata;
  collector.push({
    // Not p.registry.url (`https://CONTAINER.pkg.github.com/<owner>`); a configured registry
    // serves GitHub Enterprise Server's container host.
    registry: GHCR,
    repository: `${pkg.owner.login}/${pkg.name}`.toLowerCase(),
    // Empty for the child manifests of a multi-arch push: the collector drops those as 'untagged'.
    tag: metadata?.tag?.name ?? undefined,
    digest: metadata?.tag?.digest || digestOrUndefined(version.name) || digestOrUndefined(version.version),
    mediaType: metadata?.manifest?.media_type ?? undefined,
    eventId: context.headers['x-github-delivery'],
    occurredAt: firstTime(version.updated_at, pkg.updated_at),
  });
  return collector.result();
}

function readPackage(event: PackageEvent, body: unknown): { action: string; pkg: z.infer<typeof Package> } {
  if (event === 'package') {
    const payload = parsePayload('github', PackagePayload, body);
    return { action: payload.action, pkg: payload.package };
  }
  const payload = parsePayload('github', RegistryPackagePayload, body);
  return { action: payload.action, pkg: payload.registry_package };
}

function isPackageEvent(event: string): event is PackageEvent {
  return (PACKAGE_EVENTS as readonly string[]).includes(event);
}

function packageKeyOf(body: unknown): PackageEvent | undefined {
  if (typeof body !== 'object' || body === null) return undefined;
  return PACKAGE_EVENTS.find((key) => key in body);
}

function digestOrUndefined(value: string | null | undefined): string | undefined {
  return value?.startsWith('sha256:') ? value : undefined;
}

// Container package versions carry Go's zero time (0001-01-01T00:00:00Z) in their own
// created_at/updated_at; the package's updated_at is the time of the push.
function firstTime(...values: (string | null | undefined)[]): string | undefined {
  for (const value of values) {
    const iso = value ? fromRfc3339(value) : undefined;
    if (iso !== undefined && !iso.startsWith('0001-')) return iso;
  }
  return undefined;
}
