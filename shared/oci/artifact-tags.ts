/**
 * Tags that name a referrer rather than an image: the referrers tag schema's fallback
 * (`sha256-<hex>`, OCI distribution-spec "Referrers Tag Schema") and cosign's signature,
 * attestation and SBOM tags (`sha256-<hex>.sig|.att|.sbom`). They travel with the image they
 * refer to, so listings of images to copy leave them out.
 */
const ARTIFACT_TAG = /^sha(256|512)-[0-9a-f]{64,128}(\.(sig|att|sbom))?$/;

export function isArtifactTag(tag: string): boolean {
  return ARTIFACT_TAG.test(tag);
}
