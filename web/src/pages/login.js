// login.js - the sign-in page: user name and password (the API's password grant), or single
// sign-on through allotd's identity provider when it has one.
import { useState } from "preact/hooks";
import { html } from "../html.js";
import { signIn, signInSso } from "../session.js";

export function Login() {
  const [error, setError] = useState("");
  const [busy, setBusy] = useState(false);
  const [sso, setSso] = useState({ shown: true, url: "" });

  const submit = async (e) => {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setBusy(true);
    setError("");
    try {
      await signIn(f.get("username"), f.get("password"));
    } catch (err) {
      setError(err.status === 401 ? "wrong user name or password" : err.message);
    }
    setBusy(false);
  };
  const single = async () => {
    setError("");
    try {
      await signInSso((url) => setSso({ shown: true, url }));
    } catch (err) {
      setError(err.message);
      if (/not configured/.test(err.message)) setSso({ shown: false, url: "" });
    }
  };
  return html`<main class="login">
    <h1>allot</h1>
    <form onSubmit=${submit} class="card">
      <label>User name <input name="username" autocomplete="username" required autofocus /></label>
      <label>Password <input name="password" type="password" autocomplete="current-password" required /></label>
      <button type="submit" disabled=${busy}>Sign in</button>
      ${error && html`<p class="error" role="alert">${error}</p>`}
    </form>
    ${sso.shown && html`<p><button class="link" onClick=${single}>Sign in with SSO</button></p>`}
    ${sso.url && html`<p class="muted">Finish signing in at <a href=${sso.url} target="_blank" rel="noopener">your identity provider</a>; this page continues by itself.</p>`}
  </main>`;
}
