import { spawn } from 'node:child_process';
import { closeSync, openSync, readdirSync, readFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';

// Wall time and peak memory of one command, as a user runs it. Peak RSS is the largest VmHWM
// (the kernel's resident-set high-water mark) of any process in the command's tree, sampled from
// /proc every SAMPLE_MS: under `npm run` that is the Node process doing the copy, not npm.
// A high-water mark only rises, so sampling misses at most the growth of the last interval.
// esbuild is not the copier: a run that finds the sources changed rebuilds the CLI bundle first,
// and esbuild's own peak (about 185 MiB for the CLI) would stand in for the copy's. It is
// reported apart, so that a rebuild inside a timed run shows as one rather than as a regression.

const SAMPLE_MS = 20;

export type Measured = {
  seconds: number;
  /** The largest high-water mark of any process in the tree but esbuild. */
  peakRssMib: number;
  /** esbuild's, when the run rebuilt the CLI bundle; undefined when it did not. */
  buildPeakRssMib: number | undefined;
  exitCode: number | null;
  signal: string | null;
};

const BUILDERS = new Set(['esbuild']);

function nameOf(pid: number): string | undefined {
  try {
    return /^Name:\s+(.*)$/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  const out: number[] = [];
  let tasks: string[];
  try {
    tasks = readdirSync(`/proc/${pid}/task`);
  } catch {
    return out; // exited between samples
  }
  for (const task of tasks) {
    try {
      out.push(...readFileSync(`/proc/${pid}/task/${task}/children`, 'utf8').split(' ').filter(Boolean).map(Number));
    } catch {
      // the thread or process ended while being read
    }
  }
  return out;
}

function highWaterKib(pid: number): number {
  try {
    const match = /^VmHWM:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) : 0;
  } catch {
    return 0;
  }
}

/** Run a command to its end with output to `logFile`; resolves its time, peak RSS and exit status. */
export async function runMeasured(command: string, args: string[], options: { cwd: string; env: NodeJS.ProcessEnv; logFile: string }): Promise<Measured> {
  const log = openSync(options.logFile, 'w');
  const started = performance.now();
  const child = spawn(command, args, { cwd: options.cwd, env: options.env, stdio: ['ignore', log, log] });
  closeSync(log);
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let peakKib = 0;
  let buildPeakKib: number | undefined;
  const sample = () => {
    if (child.pid === undefined) return;
    const pending = [child.pid];
    for (let pid = pending.pop(); pid !== undefined; pid = pending.pop()) {
      const name = nameOf(pid);
      if (name !== undefined && BUILDERS.has(name)) buildPeakKib = Math.max(buildPeakKib ?? 0, highWaterKib(pid));
      else peakKib = Math.max(peakKib, highWaterKib(pid));
      pending.push(...childrenOf(pid));
    }
  };
  const timer = setInterval(sample, SAMPLE_MS);
  const spawnFailed = new Promise<Error>((resolve) => child.once('error', resolve));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  try {
    const failure = await Promise.race([spawnFailed, exited.then(() => undefined)]);
    if (failure) throw new Error(`runMeasured: cannot start ${command}: ${failure.message}`);
  } finally {
    clearInterval(timer);
    process.off('exit', killOnExit);
  }
  const seconds = (performance.now() - started) / 1000;
  return { seconds, peakRssMib: peakKib / 1024, buildPeakRssMib: buildPeakKib === undefined ? undefined : buildPeakKib / 1024, exitCode: child.exitCode, signal: child.signalCode };
}
