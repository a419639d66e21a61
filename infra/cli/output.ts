/** Where the CLI's logs go: JSON lines to `--log FILE`, or short human lines on stderr. */
import { createWriteStream, type WriteStream } from 'node:fs';
import { createLogger, type LogLevel, type Logger } from '../../shared/log.ts';

export interface CliLog {
  logger: Logger;
  close(): Promise<void>;
}

export function createCliLog(options: { file?: string; level?: LogLevel; progress?: () => { clear(): void } | undefined }): CliLog {
  if (options.file) {
    const stream: WriteStream = createWriteStream(options.file, { flags: 'a' });
    return {
      logger: createLogger({ level: options.level ?? 'info', sink: (line) => stream.write(line + '\n') }),
      close: () => new Promise((resolve) => stream.end(resolve)),
    };
  }
  return {
    logger: createLogger({
      level: options.level ?? 'warn',
      sink: (line) => {
        options.progress?.()?.clear();
        process.stderr.write(humanLine(line) + '\n');
      },
    }),
    close: async () => {},
  };
}

/** `WARN  request retry  what=GET manifest … attempt=1` from a JSON log line (already redacted). */
export function humanLine(json: string): string {
  const record = JSON.parse(json) as Record<string, unknown>;
  const { level, message, timestamp: _timestamp, ...fields } = record;
  const rest = Object.entries(fields)
    .map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`)
    .join(' ');
  return `${String(level).toUpperCase().padEnd(5)} ${String(message)}${rest ? `  ${rest}` : ''}`;
}
