/**
 * The page shell: navigation, the inline stylesheet, and two small inline scripts (nonce'd)
 * that enhance plain HTML: live regions re-read themselves while work is in flight, and the
 * rule form previews its pattern as it is typed. Without JS every page still works.
 */
import type { Child } from 'hono/jsx';
import { CSRF_FIELD, FRAGMENT_HEADER } from './guard.ts';
import { CSS } from './styles.ts';

export interface Nav {
  /** Present when the service has those stores (the executions and links seams). */
  executions?: boolean;
  links?: boolean;
}

export interface PageProps {
  title: string;
  nonce: string;
  /** Absent on the sign-in page: no navigation, no sign-out. */
  csrf?: string;
  current?: string;
  nav?: Nav;
  children?: Child;
}

// One refresh in flight at most: the next is scheduled only when the last one has finished, so
// a slow service is never asked again before it has answered.
const LIVE_SCRIPT = `(()=>{const live=()=>[...document.querySelectorAll('[data-live]')];if(!live().length)return;
const tick=async()=>{const on=live().filter(e=>e.dataset.live==='on');if(!on.length)return;
if(!document.hidden){try{const r=await fetch(location.href,{headers:{'${FRAGMENT_HEADER}':'live'}});
if(r.ok){const d=new DOMParser().parseFromString(await r.text(),'text/html');
for(const e of on){const n=d.getElementById(e.id);if(n)e.replaceWith(n)}}}catch(_){}}
setTimeout(tick,2000)};setTimeout(tick,2000)})();`;

const PREVIEW_SCRIPT = `(()=>{const f=document.querySelector('form[data-preview]');if(!f)return;const out=document.getElementById('preview');let t;
const run=async()=>{const q=new URLSearchParams(new FormData(f));q.delete('${CSRF_FIELD}');
try{const r=await fetch('/ui/rules/preview?'+q,{headers:{'${FRAGMENT_HEADER}':'preview'}});out.innerHTML=await r.text()}catch(_){}};
f.addEventListener('input',e=>{if(!e.target.closest('[data-preview-source]'))return;clearTimeout(t);t=setTimeout(run,400)})})();`;

const LINKS: [string, string, keyof Nav | undefined][] = [
  ['/ui/tasks', 'Records', undefined],
  ['/ui/executions', 'Executions', 'executions'],
  ['/ui/rules', 'Rules', undefined],
  ['/ui/subscriptions', 'Subscriptions', undefined],
  ['/ui/links', 'Links', 'links'],
  ['/ui/health', 'Health', undefined],
];

export function Page(props: PageProps) {
  const nav = props.nav ?? {};
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>{`${props.title} · crossdock`}</title>
        <style nonce={props.nonce} dangerouslySetInnerHTML={{ __html: CSS }} />
      </head>
      <body>
        <header>
          <span class="brand">crossdock</span>
          {props.csrf !== undefined && (
            <>
              <nav class="actions" aria-label="Console">
                {LINKS.filter(([, , needs]) => needs === undefined || nav[needs]).map(([href, label]) => (
                  <a href={href} aria-current={props.current === href ? 'page' : undefined}>{label}</a>
                ))}
              </nav>
              <form method="post" action="/ui/sign-out">
                <input type="hidden" name={CSRF_FIELD} value={props.csrf} />
                <button type="submit">Sign out</button>
              </form>
            </>
          )}
        </header>
        <main>
          <h1>{props.title}</h1>
          {props.children}
        </main>
        <script nonce={props.nonce} dangerouslySetInnerHTML={{ __html: LIVE_SCRIPT + PREVIEW_SCRIPT }} />
      </body>
    </html>
  );
}

/** A hidden CSRF field for a form that changes something. */
export function Csrf(props: { token: string }) {
  return <input type="hidden" name={CSRF_FIELD} value={props.token} />;
}

/** A one-button form posting to `action`: the console's only way to change anything. */
export function PostButton(props: { action: string; csrf: string; label: string; quiet?: boolean }) {
  return (
    <form method="post" action={props.action}>
      <Csrf token={props.csrf} />
      <button type="submit" class={props.quiet ? 'quiet' : undefined}>{props.label}</button>
    </form>
  );
}

export function Problems(props: { title: string; problems: readonly string[] }) {
  return (
    <div class="notice s-bad" role="alert">
      <strong>✗ {props.title}</strong>
      {props.problems.length > 0 && <ul>{props.problems.map((p) => <li>{p}</li>)}</ul>}
    </div>
  );
}

export function Notice(props: { children?: Child }) {
  return <div class="notice s-ok" role="status">✓ {props.children}</div>;
}
