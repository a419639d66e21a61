/** A records filter naming a repository, with or without its registry (`/tasks`, the console). */
import { z } from 'zod';
import type { RepositoryMatch } from '../../shared/tasks/task-store.ts';

const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*';
const REPOSITORY = new RegExp(`^${COMPONENT}(?:/${COMPONENT})*$`);

/**
 * `registry/repository` or a repository alone: as in Docker's reference grammar, a first
 * component with a dot or a port, or `localhost`, is a registry.
 */
export const Repository = z.string().min(1).transform((value, ctx): RepositoryMatch => {
  const slash = value.indexOf('/');
  const head = slash < 0 ? '' : value.slice(0, slash);
  const hasRegistry = head.includes('.') || head.includes(':') || head === 'localhost';
  const repository = hasRegistry ? value.slice(slash + 1) : value;
  if (!REPOSITORY.test(repository)) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(repository)} is not a repository name (lowercase path components)` });
    return z.NEVER;
  }
  return hasRegistry ? { registry: head, repository } : { repository };
});
