import { parseArgs } from 'node:util';
import { WORKLOAD_NAMES, type WorkloadName } from './workloads.ts';

export type BenchOptions = { workloads: WorkloadName[]; rounds: number; largeMib: number };

export const DEFAULT_ROUNDS = 3;
export const DEFAULT_LARGE_MIB = 512;
export const BENCH_USAGE = `usage: npm run bench -- [${WORKLOAD_NAMES.join('|')}...] [--rounds N] [--large-mib N]`;

/** A command line the benchmark cannot run; its message names every problem, on one line. */
export class BenchUsageError extends Error {
  override name = 'BenchUsageError';
}

function wholeNumber(flag: string, value: string | undefined, fallback: number, problems: string[]): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(n) || n < 1) problems.push(`--${flag} takes a whole number from 1, got "${value}"`);
  return n;
}

/** Workload names as positionals (all three when none), then --rounds and --large-mib. */
export function parseBenchArgs(argv: string[]): BenchOptions {
  let parsed;
  try {
    parsed = parseArgs({ args: argv, allowPositionals: true, strict: true, options: { rounds: { type: 'string' }, 'large-mib': { type: 'string' } } });
  } catch (error) {
    throw new BenchUsageError(`${(error as Error).message.split('\n')[0]}; ${BENCH_USAGE}`);
  }
  const problems: string[] = [];
  const unknown = parsed.positionals.filter((w) => !(WORKLOAD_NAMES as readonly string[]).includes(w));
  if (unknown.length > 0) problems.push(`unknown workload ${unknown.map((w) => `"${w}"`).join(', ')} (known: ${WORKLOAD_NAMES.join(', ')})`);
  const rounds = wholeNumber('rounds', parsed.values.rounds, DEFAULT_ROUNDS, problems);
  const largeMib = wholeNumber('large-mib', parsed.values['large-mib'], DEFAULT_LARGE_MIB, problems);
  if (problems.length > 0) throw new BenchUsageError(problems.join('; '));
  const named = [...new Set(parsed.positionals)] as WorkloadName[];
  return { workloads: named.length > 0 ? named : [...WORKLOAD_NAMES], rounds, largeMib };
}
