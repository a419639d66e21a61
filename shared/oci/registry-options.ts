/** How to reach one registry: credentials, TLS and upload settings (RegistryDirectory finds them). */
import { z } from 'zod';

export const RegistryOptions = z.strictObject({
  username: z.string().optional(),
  password: z.string().optional(),
  /** An OAuth2 refresh token (Docker's `identitytoken`), exchanged at the token endpoint. */
  identityToken: z.string().optional(),
  /** Plain HTTP, or HTTPS without certificate verification. */
  insecure: z.boolean().optional(),
  /** PEM certificate(s) to trust for this registry, in addition to the system store. */
  ca: z.string().optional(),
  caFile: z.string().optional(),
  /** Upload blobs in PATCH chunks of this many bytes instead of one monolithic PUT. */
  chunkSize: z.number().int().positive().optional(),
});
export type RegistryOptions = z.infer<typeof RegistryOptions>;

const LOOPBACK = /^(localhost|127(?:\.\d{1,3}){3}|\[::1\])(?::\d+)?$/;

/** Docker's rule: loopback registries may be reached over plain HTTP without saying so. */
export function isLoopbackRegistry(registry: string): boolean {
  return LOOPBACK.test(registry);
}
