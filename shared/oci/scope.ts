/** Token scopes (distribution token spec: `repository:<name>:<actions>`). */
export const pullScope = (repository: string): string => `repository:${repository}:pull`;
export const pushScope = (repository: string): string => `repository:${repository}:pull,push`;
