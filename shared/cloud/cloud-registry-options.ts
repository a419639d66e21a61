/**
 * Registry options for cloud registries: `ecr` says the registry is an Amazon ECR registry (or is
 * detected from an `<account>.dkr.ecr.<region>.amazonaws.com` host), how to get its short-lived
 * token, which role to assume for it in another account, and how to create missing repositories.
 * Schema only: the AWS SDK is imported by the adapters, never from here.
 */
import { z } from 'zod';
import { RegistryOptions } from '../oci/registry-options.ts';

const ROLE_ARN = /^arn:aws[a-z-]*:iam::(\d{12}):role\/[\w+=,.@/-]{1,512}$/;

/** What CreateRepository is asked for, as ACR's "automatically create repository" does. */
export const EcrRepositorySettings = z.strictObject({
  tagMutability: z.enum(['MUTABLE', 'IMMUTABLE']).default('MUTABLE'),
  scanOnPush: z.boolean().default(false),
  encryption: z
    .strictObject({ type: z.enum(['AES256', 'KMS']), kmsKey: z.string().min(1).optional() })
    .refine((e) => e.type === 'KMS' || e.kmsKey === undefined, 'kmsKey goes with type KMS only')
    .optional(),
  tags: z.record(z.string().min(1).max(128), z.string().max(256)).default({}),
});
export type EcrRepositorySettings = z.infer<typeof EcrRepositorySettings>;

export const StaticAwsCredentials = z.strictObject({
  accessKeyId: z.string().min(1),
  secretAccessKey: z.string().min(1),
  sessionToken: z.string().min(1).optional(),
});
export type StaticAwsCredentials = z.infer<typeof StaticAwsCredentials>;

export const EcrSettings = z
  .strictObject({
    region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, 'an AWS region such as us-east-1'),
    /** The registry's account; from the host name when it is an ECR host. */
    accountId: z.string().regex(/^\d{12}$/, '12 digits').optional(),
    /** Another account's role granting push (cross-account): assumed through STS for this registry. */
    roleArn: z.string().regex(ROLE_ARN, 'arn:aws:iam::<account>:role/<name>').optional(),
    /** The condition the destination account's trust policy sets (sts:ExternalId). */
    externalId: z.string().regex(/^[\w+=,.@:/-]{2,1224}$/, '2-1224 characters of [A-Za-z0-9+=,.@:/_-]').optional(),
    /** Create a missing repository before the first push (default), with these settings; false: never. */
    createRepository: z.union([z.literal(false), EcrRepositorySettings]).default({ tagMutability: 'MUTABLE', scanOnPush: false, tags: {} }),
    /** The ECR and STS API endpoints: a VPC endpoint, or a local stand-in in tests. Must be declared. */
    endpoint: z.url().optional(),
    stsEndpoint: z.url().optional(),
    /** Explicit AWS credentials instead of the SDK's default chain (a machine outside AWS). */
    credentials: StaticAwsCredentials.optional(),
  })
  .superRefine((ecr, ctx) => {
    if (ecr.externalId !== undefined && ecr.roleArn === undefined) ctx.addIssue({ code: 'custom', path: ['externalId'], message: 'goes with roleArn' });
    const roleAccount = ecr.roleArn ? ROLE_ARN.exec(ecr.roleArn)?.[1] : undefined;
    if (roleAccount && ecr.accountId && roleAccount !== ecr.accountId) {
      ctx.addIssue({ code: 'custom', path: ['roleArn'], message: `is in account ${roleAccount}, not the registry's account ${ecr.accountId}` });
    }
  });
export type EcrSettings = z.infer<typeof EcrSettings>;

export const CloudRegistryOptions = RegistryOptions.extend({ ecr: EcrSettings.optional() });
export type CloudRegistryOptions = z.infer<typeof CloudRegistryOptions>;
/** As written in configuration, defaults not yet applied. */
export type CloudRegistryInput = z.input<typeof CloudRegistryOptions>;

const ECR_HOST = /^(\d{12})\.dkr\.ecr(?:-fips)?\.([a-z]{2}(?:-[a-z]+)+-\d)\.amazonaws\.com(?:\.cn)?$/;

/** The account and region of an ECR registry host, or undefined for any other host. */
export function ecrHost(registry: string): { accountId: string; region: string } | undefined {
  const match = ECR_HOST.exec(registry.toLowerCase());
  return match ? { accountId: match[1]!, region: match[2]! } : undefined;
}

/** The ECR settings for a registry: configured, or detected from its host when it has no static credentials. */
export function ecrSettingsOf(registry: string, options: CloudRegistryInput): EcrSettings | undefined {
  const configured = options.ecr;
  const host = ecrHost(registry);
  // Parsed again (cheap, and cached by the caller): options built in code get the defaults too.
  if (configured) return EcrSettings.parse({ ...(host ? { accountId: host.accountId } : {}), ...configured });
  if (!host || options.username !== undefined || options.identityToken !== undefined) return undefined;
  return EcrSettings.parse({ region: host.region, accountId: host.accountId });
}

/** The account of a role ARN. */
export function roleAccount(roleArn: string): string | undefined {
  return ROLE_ARN.exec(roleArn)?.[1];
}
