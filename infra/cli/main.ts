/**
 * The `crossdock` command line. Exit status: 0 done, 1 some image failed, 2 bad input (flags,
 * configuration, references) or a failure before any copy could start; always one clear line.
 */
import { readFileSync } from 'node:fs';
import { CrossdockError, InvalidInputError } from '../../shared/errors.ts';
import { COPY_FLAGS, COPY_USAGE, copyCommand } from './copy-command.ts';
import { parseFlags } from './flags.ts';
import { SYNC_FLAGS, SYNC_USAGE, syncCommand } from './sync-command.ts';

const USAGE = `usage: crossdock <command> [flags]

commands:
  sync --config FILE            copy every image an image-syncer config names
       [--auth FILE --images FILE] [-p|--proc N] [-r|--retries N] [--registry R --namespace NS]
       [--platform os/arch[/variant],...] [--os LIST] [--arch LIST] [--force | --no-overwrite]
       [--no-referrers] [--dry-run] [--json] [--output-success-images FILE]
       [--output-images-format yaml|json] [--log FILE] [--docker-config FILE]
  copy SOURCE DESTINATION       copy one image now
       [--platform os/arch,...] [--no-overwrite] [--no-referrers] [--dry-run] [--json]
       [--auth FILE] [--insecure] [--log FILE] [--docker-config FILE]
  serve                         the replication service on this machine (webhooks, API, worker, schedules)
       [--config FILE] [--port N] [--host ADDR] [--data-dir DIR]
  help                          this text (crossdock COMMAND --help: one command's flags)
  version                       crossdock's version (also --version)
`;

export async function main(argv: string[]): Promise<number> {
  const [command, ...args] = argv;
  try {
    switch (command) {
      case 'sync': {
        const { values, positionals } = parseFlags(args, SYNC_FLAGS);
        if (values.help) return help(SYNC_USAGE);
        if (positionals.length > 0) throw new InvalidInputError('FLAG_INVALID', `sync takes no arguments, got "${positionals[0]}"`);
        return await syncCommand(values);
      }
      case 'copy': {
        const { values, positionals } = parseFlags(args, COPY_FLAGS);
        if (values.help) return help(COPY_USAGE);
        return await copyCommand(values, positionals);
      }
      case 'serve': {
        // Loaded only here: the AWS SDK and the embedded servers are not the CLI's business.
        const { SERVE_FLAGS, SERVE_USAGE, serveCommand } = await import('./serve-command.ts');
        const { values, positionals } = parseFlags(args, SERVE_FLAGS);
        if (values.help) return help(SERVE_USAGE);
        if (positionals.length > 0) throw new InvalidInputError('FLAG_INVALID', `serve takes no arguments, got "${positionals[0]}"`);
        return await serveCommand(values);
      }
      case 'help':
      case '--help':
      case '-h':
        return help(USAGE);
      case 'version':
      case '--version':
      case '-v':
        process.stdout.write(`crossdock ${version()}\n`);
        return 0;
      case undefined:
        process.stderr.write(USAGE);
        return 2;
      default:
        throw new InvalidInputError('FLAG_INVALID', `unknown command "${command}" (try: crossdock help)`);
    }
  } catch (error) {
    process.stderr.write(`crossdock: ${oneLine(error)}\n`);
    return error instanceof CrossdockError && !(error instanceof InvalidInputError) && command === 'copy' ? 1 : 2;
  }
}

function help(text: string): number {
  process.stdout.write(text);
  return 0;
}

/** From package.json: two levels up from this file both as source (infra/cli) and bundled (.build/cli). */
function version(): string {
  const text = readFileSync(new URL('../../package.json', import.meta.url), 'utf8');
  const parsed: unknown = JSON.parse(text);
  return typeof parsed === 'object' && parsed !== null && 'version' in parsed && typeof parsed.version === 'string' ? parsed.version : 'unknown';
}

function oneLine(error: unknown): string {
  if (error instanceof InvalidInputError && error.problems.length > 1) {
    return `${error.problems.length} problems: ${error.problems.join('; ')}`;
  }
  if (error instanceof CrossdockError) return `${error.message} [${error.code}]`;
  return error instanceof Error ? error.message : String(error);
}
