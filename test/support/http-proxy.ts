/**
 * A scripted HTTP proxy (no proxy server package is installed): forwards plain-HTTP requests
 * given by absolute URI, and tunnels CONNECT, logging each. It reaches loopback only: a request
 * for any other host is answered 502 without a socket being opened, so a test using it cannot
 * send a packet off loopback.
 */
import { createServer, request as httpRequest } from 'node:http';
import { connect, type AddressInfo } from 'node:net';
import { classifyAddress } from '../../shared/oci/address-class.ts';

export type ProxiedRequest = { method: string; /** Absolute URL, or host:port for CONNECT. */ target: string; host: string };

export type HttpProxy = {
  url: string;
  /** `127.0.0.1:PORT` */
  host: string;
  log: ProxiedRequest[];
  close(): Promise<void>;
};

const loopback = (hostname: string) => hostname === 'localhost' || classifyAddress(hostname.replace(/^\[|\]$/g, '')) === 'loopback';

export async function startHttpProxy(): Promise<HttpProxy> {
  const log: ProxiedRequest[] = [];
  const server = createServer((req, res) => {
    let target: URL;
    try {
      target = new URL(req.url ?? '');
    } catch {
      res.writeHead(400).end('absolute URI expected');
      return;
    }
    log.push({ method: req.method ?? '', target: target.toString(), host: target.host });
    if (target.protocol !== 'http:' || !loopback(target.hostname)) {
      res.writeHead(502).end('test proxy: loopback only');
      return;
    }
    const headers = { ...req.headers };
    delete headers['proxy-connection'];
    delete headers['proxy-authorization'];
    const upstream = httpRequest({ host: target.hostname, port: target.port || 80, method: req.method, path: `${target.pathname}${target.search}`, headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  });
  server.on('connect', (req, socket, head) => {
    const target = req.url ?? '';
    log.push({ method: 'CONNECT', target, host: target });
    const colon = target.lastIndexOf(':');
    const hostname = target.slice(0, colon);
    if (!loopback(hostname)) {
      socket.end('HTTP/1.1 502 Bad Gateway\r\n\r\n');
      return;
    }
    const upstream = connect(Number(target.slice(colon + 1)), hostname.replace(/^\[|\]$/g, ''), () => {
      socket.write('HTTP/1.1 200 Connection Established\r\n\r\n');
      if (head.length > 0) upstream.write(head);
      upstream.pipe(socket);
      socket.pipe(upstream);
    });
    upstream.on('error', () => socket.destroy());
    socket.on('error', () => upstream.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    log,
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
