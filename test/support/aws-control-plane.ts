/**
 * A SCRIPTED stand-in for the AWS STS and ECR control planes, on loopback. No AWS can be reached
 * from the tests, and no real peer for these APIs runs here, so this speaks just enough of each
 * wire protocol for the real AWS SDK to talk to it: STS's query protocol (form-encoded POST, XML
 * answers, `ErrorResponse` with HTTP 403 for AccessDenied) and ECR's JSON 1.1 protocol
 * (`X-Amz-Target: AmazonEC2ContainerRegistry_V20150921.<Operation>`, `__type` errors).
 *
 * It plays IAM too, in the shape of a split grant: a destination account holds roles, each with a
 * trust policy (who may assume it, with which external id) and a permissions policy limited to
 * repository prefixes. Callers are recognised by the access key of their SigV4 Authorization
 * header (and, for role sessions, the session token); signatures are not verified.
 *
 * The registry half is a real Distribution registry with token auth whose token issuer asks this
 * plane (`registryAuth(account)`): `AWS:<ECR token>` is accepted only while the token is valid,
 * and push is granted only on a repository that exists and that the principal may push to, as
 * ECR does. Time comes from the test's clock.
 */
import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ResourceAccess } from './token-issuer.ts';

/** The account the deployment's own (base) credentials belong to. */
export const BASE_ACCOUNT = '111111111111';
export const BASE_CREDENTIALS = { accessKeyId: 'AKIDCROSSDOCKBASE', secretAccessKey: 'base-secret-key' };
export const TOKEN_LIFETIME_MS = 12 * 3600_000;

export interface RoleGrant {
  /** Trust policy: may the base principal assume it (with this external id, if set)? */
  trusted: boolean;
  externalId?: string;
  /** Permissions policy: repository prefixes push and CreateRepository are allowed on ([] = none). */
  prefixes: string[];
}

export interface PlaneCall {
  service: 'sts' | 'ecr';
  action: string;
  principal: string;
  /** AssumeRole: the role and session name asked for; ECR: the repository named. */
  roleArn?: string;
  sessionName?: string;
  repository?: string;
  status: number;
  /** CreateRepository: the request body as sent. */
  body?: Record<string, unknown>;
}

interface Principal {
  account: string;
  /** Undefined for the base principal. */
  roleArn?: string;
  sessionToken?: string;
  label: string;
}

export interface ControlPlane {
  stsEndpoint: string;
  ecrEndpoint: string;
  /** `127.0.0.1:PORT` of each, for the service's declaration. */
  hosts: string[];
  calls: PlaneCall[];
  /** account → repository name → CreateRepository body. */
  repositories: Map<string, Map<string, Record<string, unknown>>>;
  /** Grants a destination account gives, by role ARN. */
  roles: Map<string, RoleGrant>;
  /** Passwords (ECR tokens) the registry accepted, in order. */
  tokensUsed: string[];
  count(action: string): number;
  /** Token issuer options for the registry of `account`. */
  registryAuth(account: string): {
    authenticate: (username: string, password: string) => boolean;
    restrict: (username: string, password: string, scope: ResourceAccess) => string[];
  };
  close(): Promise<void>;
}

export async function startControlPlane(options: { now?: () => number } = {}): Promise<ControlPlane> {
  const now = options.now ?? Date.now;
  const principals = new Map<string, Principal>([[BASE_CREDENTIALS.accessKeyId, { account: BASE_ACCOUNT, label: 'base' }]]);
  const tokens = new Map<string, { principal: Principal; expiresAt: number }>();
  const plane: Omit<ControlPlane, 'stsEndpoint' | 'ecrEndpoint' | 'hosts' | 'close'> = {
    calls: [],
    repositories: new Map(),
    roles: new Map(),
    tokensUsed: [],
    count: (action) => plane.calls.filter((c) => c.action === action && c.status === 200).length,
    registryAuth: (account) => ({
      authenticate: (username, password) => {
        const token = tokens.get(password);
        const ok = username === 'AWS' && token !== undefined && token.expiresAt > now() && token.principal.account === account && stillAllowed(token.principal, undefined);
        if (ok) plane.tokensUsed.push(password);
        return ok;
      },
      restrict: (_username, password, scope) => {
        const token = tokens.get(password);
        if (!token || scope.type !== 'repository') return [];
        // A missing repository can be asked about (its manifests are absent), never pushed to.
        const exists = plane.repositories.get(account)?.has(scope.name) ?? false;
        if (!exists) return ['pull'];
        return stillAllowed(token.principal, scope.name) ? ['pull', 'push'] : ['pull'];
      },
    }),
  };

  /** IAM, as this plane plays it: the base principal may do anything in its own account. */
  function stillAllowed(principal: Principal, repository: string | undefined): boolean {
    if (principal.roleArn === undefined) return true;
    const grant = plane.roles.get(principal.roleArn);
    if (!grant || grant.prefixes.length === 0) return false;
    if (repository === undefined) return true;
    return grant.prefixes.some((p) => p === '*' || repository === p || repository.startsWith(`${p}/`));
  }

  const principalOf = (req: IncomingMessage): Principal | undefined => {
    const key = /Credential=([^/]+)\//.exec(String(req.headers.authorization ?? ''))?.[1];
    const principal = key ? principals.get(key) : undefined;
    if (principal?.sessionToken !== undefined && req.headers['x-amz-security-token'] !== principal.sessionToken) return undefined;
    return principal;
  };

  const sts = await listen(async (req, res, body) => {
    const form = new URLSearchParams(body);
    const action = form.get('Action') ?? '';
    const principal = principalOf(req);
    const roleArn = form.get('RoleArn') ?? undefined;
    const sessionName = form.get('RoleSessionName') ?? undefined;
    const record = (status: number) => plane.calls.push({ service: 'sts', action, principal: principal?.label ?? 'unknown', ...(roleArn ? { roleArn } : {}), ...(sessionName ? { sessionName } : {}), status });
    const fail = (status: number, code: string, message: string) => {
      record(status);
      res.writeHead(status, { 'content-type': 'text/xml' }).end(
        `<ErrorResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><Error><Type>Sender</Type><Code>${code}</Code><Message>${escapeXml(message)}</Message></Error><RequestId>${randomBytes(8).toString('hex')}</RequestId></ErrorResponse>`,
      );
    };
    if (action !== 'AssumeRole') return fail(400, 'InvalidAction', `${action} is not scripted`);
    if (!principal) return fail(403, 'InvalidClientTokenId', 'The security token included in the request is invalid.');
    const grant = roleArn ? plane.roles.get(roleArn) : undefined;
    const externalOk = grant?.externalId === undefined || grant.externalId === form.get('ExternalId');
    if (!roleArn || !grant?.trusted || !externalOk || principal.roleArn !== undefined) {
      return fail(403, 'AccessDenied', `User: arn:aws:iam::${principal.account}:user/crossdock is not authorized to perform: sts:AssumeRole on resource: ${roleArn}`);
    }
    const accessKeyId = `ASIA${randomBytes(8).toString('hex').toUpperCase()}`;
    const sessionToken = randomBytes(24).toString('base64');
    const account = /::(\d{12}):/.exec(roleArn)![1]!;
    principals.set(accessKeyId, { account, roleArn, sessionToken, label: `${roleArn}/${sessionName}` });
    const duration = Number(form.get('DurationSeconds') ?? '3600');
    const expiration = new Date(now() + duration * 1000).toISOString();
    record(200);
    res.writeHead(200, { 'content-type': 'text/xml' }).end(
      `<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>${accessKeyId}</AccessKeyId><SecretAccessKey>${randomBytes(20).toString('hex')}</SecretAccessKey><SessionToken>${sessionToken}</SessionToken><Expiration>${expiration}</Expiration></Credentials><AssumedRoleUser><AssumedRoleId>AROA0000:${escapeXml(sessionName ?? '')}</AssumedRoleId><Arn>${escapeXml(roleArn.replace(':iam::', ':sts::').replace(':role/', ':assumed-role/'))}/${escapeXml(sessionName ?? '')}</Arn></AssumedRoleUser></AssumeRoleResult><ResponseMetadata><RequestId>${randomBytes(8).toString('hex')}</RequestId></ResponseMetadata></AssumeRoleResponse>`,
    );
  });

  const ecr = await listen(async (req, res, body) => {
    const action = String(req.headers['x-amz-target'] ?? '').replace(/^AmazonEC2ContainerRegistry_V20150921\./, '');
    const input = (body ? JSON.parse(body) : {}) as Record<string, unknown>;
    const principal = principalOf(req);
    const repository = typeof input.repositoryName === 'string' ? input.repositoryName : undefined;
    const record = (status: number) =>
      plane.calls.push({ service: 'ecr', action, principal: principal?.label ?? 'unknown', ...(repository ? { repository } : {}), status, ...(action === 'CreateRepository' ? { body: input } : {}) });
    const answer = (status: number, payload: unknown) => {
      record(status);
      const headers: Record<string, string> = { 'content-type': 'application/x-amz-json-1.1' };
      if (status !== 200) headers['x-amzn-errortype'] = (payload as { __type: string }).__type;
      res.writeHead(status, headers).end(JSON.stringify(payload));
    };
    if (!principal) return answer(400, { __type: 'UnrecognizedClientException', message: 'The security token included in the request is invalid.' });
    const denied = (what: string) =>
      answer(400, { __type: 'AccessDeniedException', message: `User: ${principal.label} is not authorized to perform: ecr:${what}` });
    const registryId = typeof input.registryId === 'string' ? input.registryId : principal.account;
    if (registryId !== principal.account) return denied(`${action} on registry ${registryId}`);
    const repositories = plane.repositories.get(principal.account) ?? new Map<string, Record<string, unknown>>();
    plane.repositories.set(principal.account, repositories);
    switch (action) {
      case 'GetAuthorizationToken': {
        if (!stillAllowed(principal, undefined)) return denied(action);
        const token = `ecr-${randomBytes(12).toString('hex')}`;
        const expiresAt = now() + TOKEN_LIFETIME_MS;
        tokens.set(token, { principal, expiresAt });
        return answer(200, {
          authorizationData: [{ authorizationToken: Buffer.from(`AWS:${token}`).toString('base64'), expiresAt: expiresAt / 1000, proxyEndpoint: `https://${principal.account}.dkr.ecr.us-east-1.amazonaws.com` }],
        });
      }
      case 'CreateRepository': {
        if (!repository || !stillAllowed(principal, repository)) return denied(`${action} on ${repository}`);
        if (repositories.has(repository)) return answer(400, { __type: 'RepositoryAlreadyExistsException', message: `The repository with name '${repository}' already exists in the registry with id '${principal.account}'` });
        repositories.set(repository, input);
        return answer(200, { repository: { repositoryName: repository, registryId: principal.account, repositoryArn: `arn:aws:ecr:us-east-1:${principal.account}:repository/${repository}`, imageTagMutability: input.imageTagMutability ?? 'MUTABLE' } });
      }
      case 'BatchCheckLayerAvailability': {
        if (!repository || !stillAllowed(principal, repository)) return denied(`${action} on ${repository}`);
        if (!repositories.has(repository)) return answer(400, { __type: 'RepositoryNotFoundException', message: `The repository with name '${repository}' does not exist in the registry with id '${principal.account}'` });
        const digests = Array.isArray(input.layerDigests) ? (input.layerDigests as string[]) : [];
        return answer(200, { layers: [], failures: digests.map((layerDigest) => ({ layerDigest, failureCode: 'MissingLayerDigest', failureReason: 'Layer digest not found' })) });
      }
      default:
        return answer(400, { __type: 'InvalidParameterException', message: `${action} is not scripted` });
    }
  });

  return {
    ...plane,
    stsEndpoint: `http://${sts.host}`,
    ecrEndpoint: `http://${ecr.host}`,
    hosts: [sts.host, ecr.host],
    async close() {
      await Promise.all([sts.close(), ecr.close()]);
    },
  };
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function listen(handle: (req: IncomingMessage, res: ServerResponse, body: string) => Promise<void> | void): Promise<{ host: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      Promise.resolve(handle(req, res, Buffer.concat(chunks).toString('utf8'))).catch((error: unknown) => {
        res.writeHead(500).end(String(error));
      });
    });
  });
  await new Promise<void>((resolve) => server.listen({ host: '127.0.0.1', port: 0 }, resolve));
  const { port } = server.address() as AddressInfo;
  return {
    host: `127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
