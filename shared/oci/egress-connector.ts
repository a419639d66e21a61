/**
 * An undici connector that checks where it connects: the host name is resolved here, every
 * address is judged by the egress policy, and the socket is opened to an address that passed.
 * Checking the resolved address at connect time (not the name when a request is accepted) is
 * what keeps DNS rebinding and redirects to internal names out. TLS still verifies the name:
 * the connector keeps `host`, so SNI and the certificate check use it, not the address.
 */
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { buildConnector } from 'undici';
import { connectionProblem, EgressRefusedError, type DeclaredRegistries } from './egress-policy.ts';

/** Resolves a host name to its addresses, in the order to try them. */
export type ResolveHost = (hostname: string) => Promise<string[]>;
/** Opens sockets; given an address that already passed the policy. */
export type ConnectorFactory = (options: buildConnector.BuildOptions) => buildConnector.connector;

export interface EgressPolicy {
  declared: DeclaredRegistries;
  /** Test seams: a resolver mapping test names to chosen addresses, and a connector that refuses off-loopback sockets. */
  resolve?: ResolveHost;
  connector?: ConnectorFactory;
}

const defaultResolve: ResolveHost = async (hostname) => (await lookup(hostname, { all: true })).map((a) => a.address);

export function createGuardedConnector(policy: EgressPolicy, options: buildConnector.BuildOptions): buildConnector.connector {
  const connect = (policy.connector ?? buildConnector)(options);
  const resolve = policy.resolve ?? defaultResolve;
  return function guardedConnect(target, callback) {
    const authority = target.host ?? (target.port ? `${bracket(target.hostname)}:${target.port}` : bracket(target.hostname));
    const addresses = isIP(target.hostname) ? Promise.resolve([target.hostname]) : resolve(target.hostname);
    addresses.then(
      (resolved) => {
        const problems: string[] = [];
        const allowed = resolved.filter((address) => {
          const problem = connectionProblem(policy.declared, authority, address);
          if (problem) problems.push(problem);
          return problem === undefined;
        });
        if (allowed.length === 0) {
          callback(new EgressRefusedError(`connection to ${authority} refused: ${problems[0] ?? `${authority} resolves to no address`}`), null);
          return;
        }
        tryEach(connect, target, allowed, callback);
      },
      (error: unknown) => callback(error instanceof Error ? error : new Error(String(error)), null),
    );
  };
}

/** Like happy eyeballs without the race: the next allowed address when one refuses the connection. */
function tryEach(connect: buildConnector.connector, target: buildConnector.Options, addresses: string[], callback: buildConnector.Callback, index = 0): void {
  connect({ ...target, hostname: addresses[index]! }, (...args) => {
    const [error] = args;
    if (error && index + 1 < addresses.length) tryEach(connect, target, addresses, callback, index + 1);
    else callback(...args);
  });
}

function bracket(hostname: string): string {
  return isIP(hostname) === 6 ? `[${hostname}]` : hostname;
}
