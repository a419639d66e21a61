import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildConnector } from 'undici';
import { classifyAddress } from '../../shared/oci/address-class.ts';
import type { ConnectorFactory, ResolveHost } from '../../shared/oci/egress-connector.ts';

// Helpers for the egress tests (issue 8). Nothing here ever connects off loopback: the canary
// listens on 127.0.0.1, the resolver answers from a table (no DNS), and the connector refuses
// any address that is not loopback instead of opening a socket to it.

export type Canary = {
  port: number;
  /** `127.0.0.1:PORT` */
  host: string;
  /** Every request that reached the canary: a refusal that works leaves this empty. */
  requests: Array<{ method: string; url: string; authorization: string | undefined }>;
  close(): Promise<void>;
};

/** An internal service stand-in on a loopback port: answers 200 with a secret-looking body. */
export async function startCanary(): Promise<Canary> {
  const requests: Canary['requests'] = [];
  const server = createServer((req, res) => {
    requests.push({ method: req.method ?? '', url: req.url ?? '', authorization: req.headers.authorization });
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"token":"internal-secret","AccessKeyId":"internal"}');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    port,
    host: `127.0.0.1:${port}`,
    requests,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

/** A resolver answering from `table` only, recording each name asked; unknown names fail like NXDOMAIN. */
export function tableResolver(table: Record<string, string[]>): ResolveHost & { asked: string[] } {
  const asked: string[] = [];
  const resolve = async (hostname: string) => {
    asked.push(hostname);
    const addresses = table[hostname];
    if (!addresses) throw Object.assign(new Error(`test resolver: no entry for ${hostname}`), { code: 'ENOTFOUND' });
    return addresses;
  };
  return Object.assign(resolve, { asked });
}

/** A connector that opens sockets to loopback addresses only; any other address is recorded and refused. */
export function loopbackOnlyConnector(): ConnectorFactory & { attempts: string[]; refusedOffLoopback: string[] } {
  const attempts: string[] = [];
  const refusedOffLoopback: string[] = [];
  const factory: ConnectorFactory = (options) => {
    const real = buildConnector(options);
    return (target, callback) => {
      attempts.push(target.hostname);
      if (classifyAddress(target.hostname) !== 'loopback') {
        refusedOffLoopback.push(target.hostname);
        callback(new Error(`test connector: ${target.hostname} is not loopback; no socket opened`), null);
        return;
      }
      real(target, callback);
    };
  };
  return Object.assign(factory, { attempts, refusedOffLoopback });
}
