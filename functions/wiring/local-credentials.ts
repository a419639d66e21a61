/**
 * Local endpoints get explicit dummy credentials: the SDK's default chain would otherwise look
 * for real ones (and, on a machine without any, ask the instance metadata service).
 */
export function localCredentials(endpoint: string | undefined) {
  return endpoint === undefined ? {} : { endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } };
}
