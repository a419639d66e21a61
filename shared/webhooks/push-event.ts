/**
 * What every provider's payload becomes: one push of a manifest to a repository. The digest or
 * media type may be missing (Docker Hub, Quay): the worker resolves them from the source registry.
 */
import { z } from 'zod';

export const PROVIDERS = ['distribution', 'harbor', 'dockerhub', 'acr', 'quay', 'github', 'gar', 'ecr', 'azure', 'jfrog'] as const;
export const Provider = z.enum(PROVIDERS);
export type Provider = z.infer<typeof Provider>;

export const PushEvent = z.strictObject({
  provider: Provider,
  /** Registry host as references write it (`docker.io`, `ghcr.io`, `127.0.0.1:5000`). */
  registry: z.string().min(1),
  repository: z.string().min(1),
  tag: z.string().min(1).optional(),
  digest: z.string().min(1).optional(),
  mediaType: z.string().min(1).optional(),
  /** The provider's own event or delivery id, when it has one. */
  eventId: z.string().min(1).optional(),
  /** When the push happened (ISO 8601), as the provider says; orders pushes of one tag. */
  occurredAt: z.string().datetime({ offset: true }).optional(),
});
export type PushEvent = z.infer<typeof PushEvent>;

/** A parsed delivery: the pushes it carries, and how many other events it held (pulls, deletes…). */
export interface ParsedDelivery {
  events: PushEvent[];
  ignored: number;
  /** Why events were ignored, by reason, for counting and the response. */
  ignoredReasons: Record<string, number>;
  /**
   * Tags deleted at the source (also counted in `ignored` as `delete`), in the push event's
   * shape: for the rules that replicate deletions (shared/intake/from-delete.ts).
   */
  deletes?: PushEvent[];
}
