/**
 * Webhook throughput: autocannon against the locally served webhook function with RULES rules
 * (default 1,000) on the source registry. Every request is a distinct push (its own event id, a
 * namespace matched by exactly one rule), so each creates one task record and one message.
 *
 *   node --import tsx test/bench/webhook-throughput.ts [--rules 1000] [--connections 20] [--seconds 10]
 *
 * Prints requests/s and latency percentiles as one JSON line.
 */
import autocannon from 'autocannon';
import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const { values } = parseArgs({ options: { rules: { type: 'string', default: '1000' }, connections: { type: 'string', default: '20' }, seconds: { type: 'string', default: '10' } } });
const rules = Number(values.rules);

function start(script: string, args: string[], flags: string[] = []): { child: ChildProcess; line: Promise<string> } {
  const child = spawn(process.execPath, [...flags, '--import', 'tsx', fileURLToPath(new URL(script, import.meta.url)), ...args], { stdio: ['ignore', 'pipe', 'inherit'] });
  const line = new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).once('line', resolve);
    child.once('exit', (code) => reject(new Error(`${script} exited with ${code}`)));
  });
  return { child, line };
}

const storage = start('./storage-server.ts', []);
const endpoints = await storage.line;
const server = start('./webhook-server.ts', [String(rules), endpoints], process.env.BENCH_SERVER_FLAGS?.split(' ').filter(Boolean));
const url = await server.line;

let n = 0;
const body = () => {
  n++;
  return JSON.stringify({ events: [{
    id: `bench-${n}`,
    timestamp: new Date().toISOString(),
    action: 'push',
    target: { mediaType: 'application/vnd.oci.image.manifest.v1+json', digest: `sha256:${n.toString(16).padStart(64, '0')}`, size: 1234, repository: `ns-${n % rules}/app`, tag: `v1.0.${n}` },
    request: { host: 'registry.bench.example' },
  }] });
};

try {
  const result = await autocannon({
    url: `${url}/webhooks/distribution`,
    method: 'POST',
    headers: { authorization: 'Bearer bench-token', 'content-type': 'application/json' },
    connections: Number(values.connections),
    duration: Number(values.seconds),
    requests: [{ setupRequest: (request) => ({ ...request, body: body() }) }],
  });
  console.log(JSON.stringify({
    rules,
    connections: Number(values.connections),
    seconds: Number(values.seconds),
    requests: result.requests.total,
    requests_per_s: Math.round(result.requests.average),
    latency_ms: { p50: result.latency.p50, p90: result.latency.p90, p99: result.latency.p99, max: result.latency.max },
    non_2xx: result.non2xx,
    errors: result.errors,
  }));
} finally {
  server.child.kill('SIGTERM');
  storage.child.kill('SIGTERM');
}
