/** Renders a page into a complete HTML response (doctype, shell, status). */
import type { Child } from 'hono/jsx';
import type { ContentfulStatusCode } from 'hono/utils/http-status';
import type { ConsoleContext } from './guard.ts';
import { Page, type Nav } from './layout.tsx';

export async function render(c: ConsoleContext, page: { title: string; current?: string; nav?: Nav; body: Child; status?: ContentfulStatusCode; signedOut?: boolean }) {
  const csrf = page.signedOut ? undefined : c.get('csrf');
  const element = (
    <Page title={page.title} nonce={c.get('nonce')} {...(csrf !== undefined ? { csrf } : {})} {...(page.current ? { current: page.current } : {})} {...(page.nav ? { nav: page.nav } : {})}>
      {page.body}
    </Page>
  );
  return c.html(`<!doctype html>${await element.toString()}`, page.status ?? 200);
}

/** A bare HTML fragment (the preview the inline script asks for). */
export async function renderFragment(c: ConsoleContext, body: Child, status: ContentfulStatusCode = 200) {
  const element = <>{body}</>;
  return c.html(await element.toString(), status);
}
