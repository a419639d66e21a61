import { Agent as HttpAgent, createServer, request as httpRequest, type IncomingMessage, type ServerResponse } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import type { AddressInfo } from 'node:net';
import { pipeline, Transform, type TransformCallback } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';

// A scripted proxy in front of a real registry, for the faults a real registry will not produce:
// 429/5xx answers, connections dropped mid-body, corrupted bytes, slow answers. Everything else
// is forwarded verbatim, bodies streamed both ways.

export type FaultAction =
  | { kind: 'status'; status: number; headers?: Record<string, string>; body?: string }
  | { kind: 'drop-mid-body'; afterBytes: number }
  | { kind: 'corrupt-body'; atByte: number }
  | { kind: 'delay'; ms: number }
  /** Relays the answer's body at no more than this many bytes a second (a slow link). */
  | { kind: 'throttle'; bytesPerSecond: number }
  /** Forwards without the Range header, as a server that ignores ranges (it answers 200, whole). */
  | { kind: 'ignore-range' }
  /**
   * Not scripted: sends DELETE for the request's own upload URL to the registry first (it really
   * cancels that upload session), then forwards the request, which the registry answers as it
   * answers for a session it no longer holds (404 BLOB_UPLOAD_UNKNOWN from Distribution).
   */
  | { kind: 'forget-upload' };

export type Fault = {
  /** Matches any method when omitted. */
  method?: string;
  /** Tested against the request path without its query string. */
  path: RegExp;
  /** Tested against the query string (without `?`); any query matches when omitted. */
  query?: RegExp;
  /** A request header (lower case) the request must carry, e.g. `range`; any request when omitted. */
  header?: string;
  /** How many matching requests the fault applies to; default 1, Infinity for all. */
  times?: number;
  /** Matching requests to let through untouched before the fault applies; default 0. */
  after?: number;
  action: FaultAction;
};

export type ProxiedRequest = {
  method: string;
  path: string;
  url: string;
  fault?: FaultAction['kind'];
  /** For a forget-upload: the request body bytes received (all requests) before the session was dropped. */
  bytesBefore?: number;
};

export type FaultProxy = {
  /** "127.0.0.1:PORT" */
  host: string;
  /** http://host */
  url: string;
  /** Every request seen, faulted or forwarded, in arrival order. */
  requests: ProxiedRequest[];
  /** Bytes of request bodies received from clients, all requests together. */
  bytesReceived: number;
  addFault(fault: Fault): void;
  clearFaults(): void;
  close(): Promise<void>;
};

export type FaultProxyOptions = {
  /** CA certificate of an https target. */
  ca?: string;
};

// Connection-level headers (RFC 9110 §7.6.1) describe one hop, not the message.
const HOP_BY_HOP = new Set([
  'connection', 'keep-alive', 'proxy-authenticate', 'proxy-authorization', 'proxy-connection',
  'te', 'trailer', 'transfer-encoding', 'upgrade',
]);

/** Flat [name, value, name, value…] without hop-by-hop headers and `drop`; duplicates kept (WWW-Authenticate). */
function forwardable(raw: string[], drop: string[], rewrite: (name: string, value: string) => string = (_, v) => v): string[] {
  const out: string[] = [];
  for (let i = 0; i + 1 < raw.length; i += 2) {
    const name = (raw[i] as string).toLowerCase();
    if (!HOP_BY_HOP.has(name) && !drop.includes(name)) out.push(raw[i] as string, rewrite(name, raw[i + 1] as string));
  }
  return out;
}

/** Passes bytes through, flipping every bit of the byte at `atByte`; same length. */
function corruptAt(atByte: number): Transform {
  let seen = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      if (atByte >= seen && atByte < seen + chunk.length) {
        const copy = Buffer.from(chunk);
        copy[atByte - seen] = (copy[atByte - seen] as number) ^ 0xff;
        chunk = copy;
      }
      seen += chunk.length;
      done(null, chunk);
    },
  });
}

/** Passes bytes through at no more than `bytesPerSecond`, measured from the first byte. */
function throttle(bytesPerSecond: number): Transform {
  let sent = 0;
  let started = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, done: TransformCallback) {
      started ||= Date.now();
      sent += chunk.length;
      const wait = started + (sent / bytesPerSecond) * 1000 - Date.now();
      if (wait <= 0) done(null, chunk);
      else setTimeout(() => done(null, chunk), wait);
    },
  });
}

/** Relay the first `afterBytes` bytes of the body, then cut the connection. */
function dropAfter(answer: IncomingMessage, res: ServerResponse, afterBytes: number): void {
  const drop = (): void => {
    answer.destroy();
    res.socket?.destroy();
  };
  answer.on('error', drop);
  if (afterBytes <= 0) {
    // end() rather than destroy(): the headers must leave before the connection does.
    res.flushHeaders();
    answer.destroy();
    res.socket?.end();
    return;
  }
  let sent = 0;
  answer.on('data', (chunk: Buffer) => {
    const room = afterBytes - sent;
    // The write callback runs once these bytes are handed to the socket; only then cut it.
    if (room > 0) res.write(chunk.subarray(0, room), room <= chunk.length ? drop : undefined);
    sent += chunk.length;
  });
  answer.on('end', () => res.end());
}

/** Start a proxy on a free loopback port that forwards to targetUrl (http or https). */
export async function startFaultProxy(targetUrl: string, options: FaultProxyOptions = {}): Promise<FaultProxy> {
  const target = new URL(targetUrl);
  const secure = target.protocol === 'https:';
  const agent = secure
    ? new HttpsAgent({ keepAlive: true, ...(options.ca ? { ca: options.ca } : {}) })
    : new HttpAgent({ keepAlive: true });
  const send = secure ? httpsRequest : httpRequest;
  const faults: Array<Fault & { remaining: number; passes: number }> = [];
  let origin = '';

  const takeFault = (method: string, path: string, query: string, headers: IncomingMessage['headers']): FaultAction | undefined => {
    const index = faults.findIndex(
      (f) =>
        f.remaining > 0 &&
        (f.method === undefined || f.method.toUpperCase() === method) &&
        path.search(f.path) !== -1 &&
        (f.query === undefined || query.search(f.query) !== -1) &&
        (f.header === undefined || headers[f.header] !== undefined),
    );
    const fault = faults[index];
    if (!fault) return undefined;
    if (fault.passes > 0) {
      fault.passes -= 1;
      return undefined;
    }
    fault.remaining -= 1;
    if (fault.remaining <= 0) faults.splice(index, 1);
    return fault.action;
  };

  const forward = (req: IncomingMessage, res: ServerResponse, action: FaultAction | undefined): void => {
    const headers = [...forwardable(req.rawHeaders, ['host', ...(action?.kind === 'ignore-range' ? ['range'] : [])]), 'Host', target.host];
    const upstream = send(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers, agent },
      (answer) => {
        // Distribution answers absolute upload URLs built from Host; send clients back through us.
        const out = forwardable(answer.rawHeaders, [], (name, value) =>
          name === 'location' && value.startsWith(target.origin) ? origin + value.slice(target.origin.length) : value,
        );
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, out);
        // A failed relay (upstream reset, client gone) cuts the client connection, as a real peer would.
        const relayed = (err: Error | null): void => {
          if (err) res.destroy();
        };
        if (action?.kind === 'drop-mid-body') dropAfter(answer, res, action.afterBytes);
        else if (action?.kind === 'corrupt-body') pipeline(answer, corruptAt(action.atByte), res, relayed);
        else if (action?.kind === 'throttle') pipeline(answer, throttle(action.bytesPerSecond), res, relayed);
        else pipeline(answer, res, relayed);
      },
    );
    upstream.on('error', (err) => {
      if (res.headersSent || res.destroyed) res.destroy();
      else res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: upstream ${target.host}: ${err.message}`);
    });
    res.on('close', () => {
      if (!res.writableFinished) upstream.destroy();
    });
    req.on('error', () => upstream.destroy());
    req.pipe(upstream);
    req.on('data', (chunk: Buffer) => (proxy.bytesReceived += chunk.length));
  };

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    const [path = url, query = ''] = url.split('?', 2);
    const action = takeFault(method, path, query, req.headers);
    proxy.requests.push({ method, path, url, ...(action ? { fault: action.kind } : {}) });
    if (action?.kind === 'status') {
      req.resume();
      res.writeHead(action.status, action.headers ?? {}).end(action.body ?? '');
      return;
    }
    if (action?.kind === 'delay') {
      void sleep(action.ms).then(() => forward(req, res, undefined));
      return;
    }
    if (action?.kind === 'forget-upload') {
      proxy.requests.at(-1)!.bytesBefore = proxy.bytesReceived;
      req.pause();
      const cancel = send({ protocol: target.protocol, hostname: target.hostname, port: target.port, method: 'DELETE', path: url, headers: { host: target.host, ...(req.headers.authorization ? { authorization: req.headers.authorization } : {}) }, agent }, (answer) => {
        answer.resume();
        answer.on('end', () => forward(req, res, undefined));
      });
      cancel.on('error', (err) => res.writeHead(502, { 'content-type': 'text/plain' }).end(`fault proxy: DELETE ${path}: ${err.message}`));
      cancel.end();
      return;
    }
    forward(req, res, action);
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, resolve);
  });
  const { port } = server.address() as AddressInfo;
  origin = `http://127.0.0.1:${port}`;

  const proxy: FaultProxy = {
    host: `127.0.0.1:${port}`,
    url: origin,
    requests: [],
    bytesReceived: 0,
    addFault(fault) {
      faults.push({ ...fault, remaining: fault.times ?? 1, passes: fault.after ?? 0 });
    },
    clearFaults() {
      faults.length = 0;
    },
    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      agent.destroy();
    },
  };
  return proxy;
}
