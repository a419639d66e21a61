/**
 * Delivering a notification to a webhook target: POST the JSON body with its signature, retried
 * with exponential backoff and jitter on 408/429/5xx and connection failures. The connection goes
 * through the egress policy's guarded connector: the target's own host (as the operator declared
 * it) is the only one allowed, metadata and link-local addresses never, and redirects are not
 * followed.
 */
import { Agent, request } from 'undici';
import { CrossdockError } from '../errors.ts';
import { createGuardedConnector, type EgressPolicy } from '../oci/egress-connector.ts';
import { DeclaredRegistries } from '../oci/egress-policy.ts';
import { DEFAULT_DELIVERY, deliverWithRetry, type AttemptOutcome, type DeliveryPolicy } from './delivery-retry.ts';
import { SIGNATURE_HEADER, signBody } from './signature.ts';
import type { WebhookTarget } from './target.ts';

export interface WebhookDeliveryOptions {
  policy?: DeliveryPolicy;
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
  /** Test seams of the egress policy (a resolver, a connector that stays on loopback). */
  egress?: Pick<EgressPolicy, 'resolve' | 'connector'>;
  userAgent?: string;
}

export interface WebhookDelivery {
  /** Resolves with the attempts it took; throws NotificationFailedError after the last one. */
  deliver(target: WebhookTarget, body: string, headers?: Record<string, string>): Promise<number>;
  close(): Promise<void>;
}

export function createWebhookDelivery(options: WebhookDeliveryOptions = {}): WebhookDelivery {
  const policy = options.policy ?? DEFAULT_DELIVERY;
  const agents = new Map<string, Agent>();

  const agentFor = (url: URL): Agent => {
    let agent = agents.get(url.host);
    if (!agent) {
      // The declaration is the target's own authority: loopback or private only when the operator named it.
      const declared = new DeclaredRegistries([url.host]);
      agent = new Agent({ connect: createGuardedConnector({ declared, ...options.egress }, {}), headersTimeout: policy.timeoutMs, bodyTimeout: policy.timeoutMs });
      agents.set(url.host, agent);
    }
    return agent;
  };

  return {
    async deliver(target, body, headers = {}) {
      const url = new URL(target.url);
      const attempt = async (): Promise<AttemptOutcome> => {
        try {
          const res = await request(url, {
            method: 'POST',
            dispatcher: agentFor(url),
            headers: { 'content-type': 'application/json', 'user-agent': options.userAgent ?? 'crossdock-notifications', [SIGNATURE_HEADER]: signBody(target.secret, body), ...headers },
            body,
          });
          await res.body.dump();
          if (res.statusCode >= 200 && res.statusCode < 300) return { delivered: true };
          return { delivered: false, retryable: res.statusCode === 408 || res.statusCode === 429 || res.statusCode >= 500, why: `answered ${res.statusCode}` };
        } catch (error) {
          return { delivered: false, retryable: !(error instanceof CrossdockError && !error.retryable) && !refused(error), why: (error as Error).message, cause: error };
        }
      };
      return deliverWithRetry(`POST ${url.origin}${url.pathname}`, attempt, { policy, sleep: options.sleep, random: options.random });
    },
    async close() {
      const all = [...agents.values()];
      agents.clear();
      await Promise.all(all.map((a) => a.close()));
    },
  };
}

/** The egress policy refused the address: trying again reaches the same address. */
function refused(error: unknown): boolean {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    if (e instanceof CrossdockError && e.code === 'EGRESS_REFUSED') return true;
  }
  return false;
}
