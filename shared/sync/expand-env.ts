/**
 * `$NAME` and `${NAME}` anywhere inside a value, as image-syncer expands credentials and
 * destinations (Go's os.ExpandEnv). Unlike Go, an unset variable is an error rather than an empty
 * string: an empty password or a destination like `lab-` is never what was meant. A `$` that does
 * not start a name stays as written.
 */
const VARIABLE = /\$\{([A-Za-z_][A-Za-z0-9_]*)\}|\$([A-Za-z_][A-Za-z0-9_]*)/g;

export type Environment = Readonly<Record<string, string | undefined>>;

/** The expanded value, or undefined after pushing one problem per unset variable (naming `where`). */
export function expandEnv(value: string, env: Environment, where: string, problems: string[]): string | undefined {
  const missing: string[] = [];
  const expanded = value.replace(VARIABLE, (whole, braced: string | undefined, bare: string | undefined) => {
    const name = braced ?? bare!;
    const resolved = env[name];
    if (resolved === undefined) {
      missing.push(name);
      return whole;
    }
    return resolved;
  });
  for (const name of new Set(missing)) problems.push(`${where}: environment variable ${name} is not set`);
  return missing.length > 0 ? undefined : expanded;
}
