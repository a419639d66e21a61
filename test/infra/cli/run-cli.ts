import { execFile, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const CLI = fileURLToPath(new URL('../../../infra/bin/crossdock.mjs', import.meta.url));

export interface Run {
  code: number;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the real `crossdock` entry in a child process; `env` is added to this process's environment. */
export function startCli(args: string[], env: Record<string, string>): { child: ChildProcess; done: Promise<Run> } {
  let child!: ChildProcess;
  const done = new Promise<Run>((resolve) => {
    child = execFile(process.execPath, [CLI, ...args], { env: { ...process.env, NO_COLOR: '1', ...env } }, (error, stdout, stderr) => {
      const failed = error as (Error & { code?: number; signal?: NodeJS.Signals | null }) | null;
      resolve({ code: failed ? Number(failed.code ?? 1) : 0, signal: failed?.signal ?? null, stdout, stderr });
    });
  });
  return { child, done };
}

export function runCli(args: string[], env: Record<string, string>): Promise<Run> {
  return startCli(args, env).done;
}
