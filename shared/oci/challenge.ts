/**
 * `WWW-Authenticate` challenges (RFC 7235 §4.1) as registries send them:
 * `Bearer realm="https://auth.example/token",service="registry.example",scope="repository:a/b:pull"`.
 * A header may carry several challenges; parameters may be quoted strings with escapes.
 */
export interface Challenge {
  /** Lowercased scheme: `bearer`, `basic`, … */
  scheme: string;
  params: Record<string, string>;
}

export function parseChallenges(header: string | string[] | undefined): Challenge[] {
  if (header === undefined) return [];
  const headers = Array.isArray(header) ? header : [header];
  return headers.flatMap(parseOne);
}

function parseOne(input: string): Challenge[] {
  const challenges: Challenge[] = [];
  let i = 0;
  const n = input.length;
  const skipSpace = () => {
    while (i < n && (input[i] === ' ' || input[i] === '\t')) i++;
  };
  const readToken = () => {
    const start = i;
    while (i < n && !' \t,="'.includes(input[i]!)) i++;
    return input.slice(start, i);
  };
  const readQuoted = () => {
    let out = '';
    i++; // opening quote
    while (i < n && input[i] !== '"') {
      if (input[i] === '\\' && i + 1 < n) i++;
      out += input[i];
      i++;
    }
    i++; // closing quote
    return out;
  };

  let current: Challenge | undefined;
  while (i < n) {
    skipSpace();
    if (input[i] === ',') {
      i++;
      continue;
    }
    const start = i;
    const token = readToken();
    if (token === '') {
      i++;
      continue;
    }
    skipSpace();
    if (input[i] === '=' && current !== undefined) {
      i++;
      skipSpace();
      const value = input[i] === '"' ? readQuoted() : readToken();
      current.params[token.toLowerCase()] = value;
      continue;
    }
    // A new scheme. token68 credentials (`Negotiate abc==`) are not used by registries; skip them.
    if (input[i] === '=') {
      i = start + token.length + 1;
      continue;
    }
    current = { scheme: token.toLowerCase(), params: {} };
    challenges.push(current);
  }
  return challenges;
}

/** Scopes a bearer challenge asks for (`scope` may hold several, space-separated). */
export function challengeScopes(challenge: Challenge): string[] {
  return (challenge.params.scope ?? '').split(' ').filter((s) => s !== '');
}
