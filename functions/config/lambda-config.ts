/**
 * The Lambda edge of the service configuration (lambda-config-of.ts), the secrets named from all
 * of the service's: `loadLambdaConfig(process.env, ['registries', 'webhookSources'])`.
 */
import { SECRETS, type SecretName, type ServiceSecrets } from '../../shared/config.ts';
import { type LambdaConfigOf, type LambdaConfigOptions, loadLambdaConfigOf, type SecretTexts } from './lambda-config-of.ts';

export type { LambdaConfigOptions, Settings } from './lambda-config-of.ts';

export type LambdaConfig<K extends SecretName> = LambdaConfigOf<Pick<ServiceSecrets, K>>;

export function loadLambdaConfig<K extends SecretName>(
  env: Readonly<Record<string, string | undefined>>,
  needs: readonly K[],
  options: LambdaConfigOptions = {},
): LambdaConfig<K> {
  const texts = Object.fromEntries(needs.map((name) => [name, SECRETS[name]])) as SecretTexts<Pick<ServiceSecrets, K>>;
  return loadLambdaConfigOf(env, texts, options);
}
