/**
 * `crossdock serve` (and `npm start`): the whole system on one machine. Stops gracefully on
 * SIGINT/SIGTERM: no new work, copies in flight get the grace period, the rest is picked up again
 * at the next start. A second signal stops at once.
 */
import { readProcessConfig } from '../../shared/config.ts';
import { createLogger } from '../../shared/log.ts';
import { loadLocalConfig } from '../local/config.ts';
import { startLocalRuntime } from '../local/runtime.ts';
import { InvalidInputError } from '../../shared/errors.ts';
import type { ParsedFlags } from './flags.ts';
import { humanLine } from './output.ts';

export const SERVE_FLAGS = {
  help: { type: 'boolean', short: 'h' },
  config: { type: 'string' },
  port: { type: 'string' },
  host: { type: 'string' },
  'data-dir': { type: 'string' },
} as const;

export const SERVE_USAGE = `usage: crossdock serve [flags]   (npm start -- [flags])

The replication service on this machine: webhooks, API, worker and schedules over embedded
DynamoDB and SQS. Stops gracefully on Ctrl-C (a second one stops at once).

      --config FILE    local configuration file (also CROSSDOCK_CONFIG)
      --port N         HTTP port (also CROSSDOCK_PORT)
      --host ADDR      address to listen on (also CROSSDOCK_HOST)
      --data-dir DIR   where the embedded tables keep their data (also CROSSDOCK_DATA_DIR)
  -h, --help           this text
`;

export async function serveCommand(flags: ParsedFlags<typeof SERVE_FLAGS>): Promise<number> {
  const process_ = readProcessConfig();
  const env: Record<string, string | undefined> = { ...process_.env };
  // Flags win over the environment, which wins over the file.
  if (flags.port !== undefined) {
    if (!/^\d{1,5}$/.test(flags.port) || Number(flags.port) > 65535) throw new InvalidInputError('FLAG_INVALID', `--port takes a port number from 0 to 65535, got "${flags.port}"`);
    env.CROSSDOCK_PORT = flags.port;
  }
  if (flags.host !== undefined) env.CROSSDOCK_HOST = flags.host;
  if (flags['data-dir'] !== undefined) env.CROSSDOCK_DATA_DIR = flags['data-dir'];
  const config = await loadLocalConfig(flags.config ?? env.CROSSDOCK_CONFIG, env);
  const pretty = config.log.format === 'pretty' || (config.log.format === 'auto' && process.stdout.isTTY === true);
  const logger = createLogger({ level: config.log.level, sink: (line) => process.stdout.write((pretty ? humanLine(line) : line) + '\n') });

  const runtime = await startLocalRuntime(config, env, logger);
  await new Promise<void>((resolve) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      signals++;
      if (signals > 1) {
        logger.warn('second signal: stopping now', { signal });
        process.exit(1);
      }
      logger.info('signal received', { signal });
      runtime.stop().then(resolve, (error: unknown) => {
        logger.error('stop failed', { error: (error as Error).message });
        resolve();
      });
    };
    process.on('SIGINT', onSignal);
    process.on('SIGTERM', onSignal);
  });
  return 0;
}
