/** Sign in with an API key; the key goes only into this POST, never into the cookie. */
export function SignInForm(props: { next: string; problem?: string }) {
  return (
    <>
      {props.problem && <div class="notice s-bad" role="alert"><strong>✗ {props.problem}</strong></div>}
      <form method="post" action="/ui/sign-in" class="stack">
        <input type="hidden" name="next" value={props.next} />
        <label>API key<input type="password" name="apiKey" autocomplete="current-password" required autofocus /></label>
        <div class="actions"><button type="submit">Sign in</button></div>
        <p class="muted">The same keys as the API (<span class="ref">CROSSDOCK_API_KEYS</span>). The session lasts 8 hours, or until you sign out or the key is removed.</p>
      </form>
    </>
  );
}
