/**
 * The `crossdock` command line. Exit status: 0 done, 1 some image failed, 2 bad input (flags,
 * configuration, references) or a failure before any copy could start; always one clear line.
 */
import { CrossdockError, InvalidInputError } from '../../shared/errors.ts';
import { COPY_FLAGS, copyCommand } from './copy-command.ts';
import { parseFlags } from './flags.ts';
import { SYNC_FLAGS, syncCommand } from './sync-command.ts';

const USAGE = `usage: crossdock <command> [flags]

commands:
  sync --config FILE            copy every image an image-syncer config names
       [--auth FILE --images FILE] [--proc N] [--retries N] [--registry R --namespace NS]
       [--platform os/arch[/variant],...] [--os LIST --arch LIST] [--no-overwrite]
       [--no-referrers] [--dry-run] [--json] [--log FILE] [--docker-config FILE]
  copy SOURCE DESTINATION       copy one image now
       [--platform os/arch,...] [--overwrite] [--no-referrers] [--dry-run] [--json]
       [--auth FILE] [--insecure] [--log FILE] [--docker-config FILE]
  serve                         the replication service on this machine (webhooks, API, worker, schedules)
       [--config FILE] [--port N] [--host ADDR] [--data-dir DIR]
  help                          this text
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'sync': {
        const { values, positionals } = parseFlags(args, SYNC_FLAGS);
        if (positionals.length > 0) throw new InvalidInputError('INVALID_FLAG', `sync takes no arguments, got "${positionals[0]}"`);
        return await syncCommand(values);
      }
      case 'copy': {
        const { values, positionals } = parseFlags(args, COPY_FLAGS);
        return await copyCommand(values, positionals);
      }
      case 'serve': {
        // Loaded only here: the AWS SDK and the embedded servers are not the CLI's business.
        const { SERVE_FLAGS, serveCommand } = await import('./serve-command.ts');
        const { values, positionals } = parseFlags(args, SERVE_FLAGS);
        if (positionals.length > 0) throw new InvalidInputError('INVALID_FLAG', `serve takes no arguments, got "${positionals[0]}"`);
        return await serveCommand(values);
      }
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(USAGE);
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      default:
        throw new InvalidInputError('INVALID_FLAG', `unknown command "${command}" (try: crossdock help)`);
    }
  } catch (error) {
    process.stderr.write(`crossdock: ${oneLine(error)}\n`);
    return error instanceof CrossdockError && !(error instanceof InvalidInputError) && command === 'copy' ? 1 : 2;
  }
}

function oneLine(error: unknown): string {
  if (error instanceof InvalidInputError && error.problems.length > 1) {
    return `${error.problems.length} problems: ${error.problems.join('; ')}`;
  }
  if (error instanceof CrossdockError) return `${error.message} [${error.code}]`;
  return error instanceof Error ? error.message : String(error);
}
