/**
 * Entry point for a webhook delivery: decode the raw body and hand it to the provider's parser.
 * Authenticity is checked before this, over the same raw bytes (authenticity.ts).
 */
import { type DeliveryContext, invalidPayload } from './delivery.ts';
import { parseAcr } from './providers/acr.ts';
import { parseAzure } from './providers/azure.ts';
import { parseDistribution } from './providers/distribution.ts';
import { parseDockerHub } from './providers/dockerhub.ts';
import { parseEcr } from './providers/ecr.ts';
import { parseGar } from './providers/gar.ts';
import { parseGitHub } from './providers/github.ts';
import { parseHarbor } from './providers/harbor.ts';
import { parseJFrog } from './providers/jfrog.ts';
import { parseQuay } from './providers/quay.ts';
import type { ParsedDelivery, Provider } from './push-event.ts';

export type { DeliveryContext } from './delivery.ts';

type ProviderParser = (body: unknown, context: DeliveryContext) => ParsedDelivery;

const PARSERS: Record<Provider, ProviderParser> = {
  distribution: parseDistribution,
  harbor: parseHarbor,
  dockerhub: parseDockerHub,
  acr: parseAcr,
  quay: parseQuay,
  github: parseGitHub,
  gar: parseGar,
  ecr: parseEcr,
  azure: parseAzure,
  jfrog: parseJFrog,
};

const FORM_CONTENT_TYPE = 'application/x-www-form-urlencoded';
const UTF8 = new TextDecoder('utf-8', { fatal: true });

export function parseDelivery(provider: Provider, rawBody: Buffer, context: DeliveryContext): ParsedDelivery {
  return PARSERS[provider](decodeBody(provider, rawBody, context), context);
}

function decodeBody(provider: Provider, rawBody: Buffer, context: DeliveryContext): unknown {
  let text: string;
  try {
    text = UTF8.decode(rawBody);
  } catch (error) {
    throw invalidPayload(provider, 'body is not valid UTF-8', error);
  }
  // A GitHub hook set to application/x-www-form-urlencoded sends the JSON in a `payload` field.
  if (provider === 'github' && context.headers['content-type']?.toLowerCase().startsWith(FORM_CONTENT_TYPE)) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw invalidPayload(provider, 'form-encoded body has no payload field');
    text = payload;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw invalidPayload(provider, `body is not valid JSON (${(error as Error).message})`, error);
  }
}
