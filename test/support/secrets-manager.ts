/**
 * A scripted Secrets Manager endpoint on loopback: GetSecretValue only (AWS JSON 1.1 protocol,
 * `X-Amz-Target: secretsmanager.GetSecretValue`), for the real SDK client given this endpoint and
 * explicit credentials. Scripted because no embedded Secrets Manager installs from the registries
 * these machines reach (npm, Debian): moto and LocalStack come from PyPI or as containers.
 * Secrets can be changed (rotation) and made to fail; every request is counted.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { z } from 'zod';

const Request = z.looseObject({ SecretId: z.string() });

export interface ScriptedSecretsManager {
  endpoint: string;
  put(name: string, value: string): void;
  /** While true, every request answers 500 InternalServiceError. */
  failing: boolean;
  requests: Array<{ target: string; secretId: string }>;
  close(): Promise<void>;
}

export async function startScriptedSecretsManager(secrets: Record<string, string> = {}): Promise<ScriptedSecretsManager> {
  const values = new Map(Object.entries(secrets));
  const versions = new Map<string, number>();
  const state: ScriptedSecretsManager = {
    endpoint: '',
    failing: false,
    requests: [],
    put(name, value) {
      values.set(name, value);
      versions.set(name, (versions.get(name) ?? 0) + 1);
    },
    close: async () => {},
  };
  const answer = (res: ServerResponse, status: number, body: unknown) => {
    res.writeHead(status, { 'content-type': 'application/x-amz-json-1.1' }).end(JSON.stringify(body));
  };
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const target = String(req.headers['x-amz-target'] ?? '');
      const parsed = Request.safeParse(JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}'));
      state.requests.push({ target, secretId: parsed.success ? parsed.data.SecretId : '' });
      if (state.failing) return answer(res, 500, { __type: 'InternalServiceError', message: 'scripted failure' });
      if (target !== 'secretsmanager.GetSecretValue' || !parsed.success) return answer(res, 400, { __type: 'InvalidRequestException', message: `unsupported ${target}` });
      const value = values.get(parsed.data.SecretId);
      if (value === undefined) return answer(res, 400, { __type: 'ResourceNotFoundException', message: "Secrets Manager can't find the specified secret." });
      answer(res, 200, {
        ARN: `arn:aws:secretsmanager:us-east-1:123456789012:secret:${parsed.data.SecretId}-AbCdEf`,
        Name: parsed.data.SecretId,
        SecretString: value,
        VersionId: `v${versions.get(parsed.data.SecretId) ?? 0}`,
        VersionStages: ['AWSCURRENT'],
        CreatedDate: 1_764_547_200,
      });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  state.endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  state.close = () => new Promise<void>((resolve) => server.close(() => resolve()));
  return state;
}
