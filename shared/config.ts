/**
 * The process environment, parsed once. No other module reads `process.env`: they receive
 * what they need from here.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { z } from 'zod';
import { InvalidInputError } from './errors.ts';

const LogLevel = z.enum(['debug', 'info', 'warn', 'error']);

export const Environment = z.object({
  DOCKER_CONFIG: z.string().optional(),
  HOME: z.string().optional(),
  /** image-syncer's defaults for destinations left empty. */
  DEFAULT_REGISTRY: z.string().optional(),
  DEFAULT_NAMESPACE: z.string().optional(),
  CROSSDOCK_LOG_LEVEL: LogLevel.optional(),
  NO_COLOR: z.string().optional(),
});
export type Environment = z.infer<typeof Environment>;

export interface ProcessConfig {
  env: Readonly<Record<string, string | undefined>>;
  dockerConfigPath: string;
  defaultRegistry: string | undefined;
  defaultNamespace: string | undefined;
  logLevel: z.infer<typeof LogLevel> | undefined;
  color: boolean;
}

export function readProcessConfig(env: Readonly<Record<string, string | undefined>> = process.env): ProcessConfig {
  const parsed = Environment.safeParse(env);
  if (!parsed.success) {
    throw new InvalidInputError('ENVIRONMENT_INVALID', parsed.error.issues.map((i) => `environment ${i.path.join('.')}: ${i.message}`));
  }
  const known = parsed.data;
  const home = known.HOME ?? homedir();
  return {
    env,
    dockerConfigPath: join(known.DOCKER_CONFIG ?? join(home, '.docker'), 'config.json'),
    defaultRegistry: known.DEFAULT_REGISTRY,
    defaultNamespace: known.DEFAULT_NAMESPACE,
    logLevel: known.CROSSDOCK_LOG_LEVEL,
    color: known.NO_COLOR === undefined,
  };
}
