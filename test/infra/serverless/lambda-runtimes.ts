/**
 * Lambda's Node.js runtimes and the dates from which Lambda refuses them, from the "Lambda
 * runtimes" page of the AWS Lambda developer guide (supported and deprecated runtimes tables),
 * as read on 2026-12-01. A runtime missing here is treated as unknown, so a change of runtime
 * makes somebody look its dates up and add them.
 */
export interface RuntimeDates {
  /** No more security patches; still runs and deploys. */
  deprecation: string;
  /** CreateFunction refuses the runtime from this day on (a new stage cannot be deployed). */
  blockCreate: string;
  /** UpdateFunctionConfiguration/Code refuse it from this day on. */
  blockUpdate: string;
}

export const NODE_RUNTIMES: Readonly<Record<string, RuntimeDates>> = {
  'nodejs20.x': { deprecation: '2026-04-30', blockCreate: '2026-06-01', blockUpdate: '2026-07-01' },
  'nodejs22.x': { deprecation: '2027-04-30', blockCreate: '2027-06-01', blockUpdate: '2027-07-01' },
  'nodejs24.x': { deprecation: '2028-04-30', blockCreate: '2028-06-01', blockUpdate: '2028-07-01' },
};

/** Why Lambda would refuse to create a function on `runtime` on `today`, or undefined if it would not. */
export function runtimeRefusal(runtime: string, today: Date): string | undefined {
  const dates = NODE_RUNTIMES[runtime];
  if (dates === undefined) return `${runtime} is not in NODE_RUNTIMES (known: ${Object.keys(NODE_RUNTIMES).join(', ')}); add it with its dates from the Lambda runtimes page`;
  const day = today.toISOString().slice(0, 10);
  if (day >= dates.blockCreate) return `Lambda refuses to create functions on ${runtime} since ${dates.blockCreate} (updates from ${dates.blockUpdate}); today is ${day}`;
  return undefined;
}

/** `node24` for `nodejs24.x`: the esbuild target of a runtime. */
export function nodeTarget(runtime: string): string {
  const match = /^nodejs(\d+)\.x$/.exec(runtime);
  if (!match) throw new Error(`${runtime} is not a Node.js runtime`);
  return `node${match[1]}`;
}
