/**
 * image-syncer's `--os` and `--arch` lists as platform filters: each list filters on its own
 * (`--arch arm64` alone keeps arm64 of every OS), `arch:variant` names a variant (`arm:v7`),
 * and a bare architecture keeps all its variants. Lists may repeat the flag or use commas.
 */
import { InvalidInputError } from '../../shared/errors.ts';
import { ANY_PLATFORM_FIELD, parsePlatforms, type PlatformSpec } from '../../shared/oci/platform-filter.ts';

const NAME = /^[a-z0-9._-]+$/i;

export function platformsFromFlags(flags: { platform?: string[] | undefined; os?: string[] | undefined; arch?: string[] | undefined }): PlatformSpec[] | undefined {
  const oses = split(flags.os);
  const arches = split(flags.arch);
  if (flags.platform?.length) {
    if (oses.length > 0 || arches.length > 0) throw new InvalidInputError('FLAG_INVALID', '--platform and --os/--arch say the same thing twice: use one or the other');
    return parsePlatforms(flags.platform);
  }
  if (oses.length === 0 && arches.length === 0) return undefined;
  const problems: string[] = [];
  for (const os of oses) {
    if (os.includes(':')) problems.push(`--os "${os}": an OS version (os:version) filter is not supported; give the OS alone`);
    else if (!NAME.test(os)) problems.push(`--os "${os}" is not an OS name (e.g. linux)`);
  }
  const archSpecs = arches.flatMap((item) => {
    const [architecture, variant, ...rest] = item.split(':');
    if (!architecture || !NAME.test(architecture) || rest.length > 0 || (variant !== undefined && !NAME.test(variant))) {
      problems.push(`--arch "${item}" is not architecture[:variant] (e.g. arm64, arm:v7)`);
      return [];
    }
    return [{ architecture, ...(variant ? { variant } : {}) }];
  });
  if (problems.length > 0) throw new InvalidInputError('FLAG_INVALID', problems);
  const osList = oses.length > 0 ? oses : [ANY_PLATFORM_FIELD];
  const archList = archSpecs.length > 0 ? archSpecs : [{ architecture: ANY_PLATFORM_FIELD }];
  return osList.flatMap((os) => archList.map((arch) => ({ os, ...arch })));
}

function split(values: string[] | undefined): string[] {
  return (values ?? []).flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}
