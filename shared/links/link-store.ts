/** Where links live; `DynamoDbLinkStore` is the adapter. */
import { CrossdockError } from '../errors.ts';
import type { Link } from './link.ts';

export class LinkNotFoundError extends CrossdockError {
  constructor(id: string) {
    super('LINK_NOT_FOUND', `link ${id} does not exist`);
  }
}

/** A second link for a pair of registries that one joins already. */
export class LinkConflictError extends CrossdockError {
  readonly existing: Pick<Link, 'id' | 'name'>;
  constructor(pair: string, existing: Pick<Link, 'id' | 'name'>) {
    super('LINK_CONFLICT', `link "${existing.name}" (${existing.id}) joins ${pair.replace('>', ' → ')} already; at most one link per pair of registries`);
    this.existing = existing;
  }
}

export interface LinkStore {
  /** Creates or replaces a link; LinkConflictError when another link joins its pair. */
  put(link: Link): Promise<void>;
  get(id: string): Promise<Link | undefined>;
  delete(id: string): Promise<boolean>;
  list(): Promise<Link[]>;
}
