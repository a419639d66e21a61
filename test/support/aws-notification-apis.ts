/**
 * A SCRIPTED stand-in for the SNS and EventBridge APIs, on loopback. No AWS can be reached from
 * the tests and no real peer for these APIs runs here, so this speaks just enough of each wire
 * protocol for the real AWS SDK to talk to it: SNS's query protocol (form-encoded POST with
 * `Action=Publish`, XML answers, `ErrorResponse` errors) and EventBridge's JSON 1.1 protocol
 * (`X-Amz-Target: AWSEvents.PutEvents`, per-entry errors in a 200). It records every request as
 * the SDK sent it; signatures are not verified.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface AwsApiCall {
  service: 'sns' | 'events';
  action: string;
  /** SNS: the form fields; EventBridge: the JSON body. */
  params: Record<string, unknown>;
  authorization: string;
}

/** A scripted answer for the next request: an HTTP error, or (EventBridge) an entry's own error. */
export type ScriptedFault = { status: number; code: string } | { entryError: string };

export interface AwsNotificationApis {
  endpoint: string;
  calls: AwsApiCall[];
  failNext(...faults: ScriptedFault[]): void;
  close(): Promise<void>;
}

export async function startAwsNotificationApis(): Promise<AwsNotificationApis> {
  const calls: AwsApiCall[] = [];
  const faults: ScriptedFault[] = [];
  let ids = 0;
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const target = req.headers['x-amz-target'];
      const fault = faults.shift();
      const authorization = String(req.headers.authorization ?? '');
      if (typeof target === 'string') {
        const params = JSON.parse(text) as Record<string, unknown>;
        calls.push({ service: 'events', action: target.split('.')[1] ?? target, params, authorization });
        res.setHeader('content-type', 'application/x-amz-json-1.1');
        if (fault && 'status' in fault) {
          res.statusCode = fault.status;
          res.end(JSON.stringify({ __type: fault.code, message: `scripted ${fault.code}` }));
          return;
        }
        const entries = (params.Entries as unknown[]).map(() => (fault && 'entryError' in fault ? { ErrorCode: fault.entryError, ErrorMessage: `scripted ${fault.entryError}` } : { EventId: `event-${++ids}` }));
        res.end(JSON.stringify({ FailedEntryCount: entries.filter((e) => 'ErrorCode' in e).length, Entries: entries }));
        return;
      }
      const params = Object.fromEntries(new URLSearchParams(text));
      calls.push({ service: 'sns', action: String(params.Action), params, authorization });
      res.setHeader('content-type', 'text/xml');
      if (fault && 'status' in fault) {
        res.statusCode = fault.status;
        res.end(`<ErrorResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><Error><Type>${fault.status >= 500 ? 'Receiver' : 'Sender'}</Type><Code>${fault.code}</Code><Message>scripted ${fault.code}</Message></Error><RequestId>r-${ids}</RequestId></ErrorResponse>`);
        return;
      }
      res.end(`<PublishResponse xmlns="http://sns.amazonaws.com/doc/2010-03-31/"><PublishResult><MessageId>message-${++ids}</MessageId></PublishResult><ResponseMetadata><RequestId>r-${ids}</RequestId></ResponseMetadata></PublishResponse>`);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    calls,
    failNext: (...f) => faults.push(...f),
    close: () => new Promise((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    }),
  };
}
