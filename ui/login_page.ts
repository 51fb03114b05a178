/**
 * Login `/login`: the Garmin session state (never a token), the email/password form, the MFA code step, token
 * import (pasted JSON, or one or two files), a service-ticket form and logout. Every form is a plain POST that
 * redirects back with a message.
 */
import { html } from "htm/preact";
import { Badge, type Flash, Layout, Time } from "./layout.ts";
import { fmtRelative, fmtUtc } from "./format.ts";
import { type AuthView, authWarning } from "./overview_page.ts";

/** Everything the login page shows. */
export interface LoginProps {
  flash: Flash | null;
  now: Date;
  auth: AuthView | null;
  authError: string | null;
  /** "mfa" after a login answered mfa_required. */
  step: "mfa" | null;
  /** GARMIN_EMAIL and GARMIN_PASSWORD are both set, so the fields may stay empty. */
  envCredentials: boolean;
}

/** The login page. */
export function LoginPage(p: LoginProps) {
  return html`
    <${Layout} title="Garmin login" current="login" flash=${p.flash}>
      <div class="grid">
          <${StatusCard} auth=${p.auth} authError=${p.authError} now=${p.now} />
          ${p.step === "mfa" ? html`<${MfaCard} />` : html`<${PasswordCard} envCredentials=${p.envCredentials} />`}
          <${ImportCard} />
          ${p.step === "mfa" ? html`<${PasswordCard} envCredentials=${p.envCredentials} />` : null}
          <${TicketCard} />
          <section class="card" aria-labelledby="other-h">
            <h2 id="other-h">Other ways in</h2>
            <p>When Garmin blocks password logins from this machine (rate limits, CAPTCHA), sign in with a browser or
              somewhere else and bring the session here:</p>
            <ul>
              <li>On a machine with a screen: <code>garminsync login --browser</code> opens Chromium on Garmin's sign-in
                page; sign in there (MFA included) and GarminSync keeps the session.</li>
              <li>Import <code>garmin_tokens.json</code> from python-garminconnect, or garth's <code>oauth1_token.json</code> and <code
                >oauth2_token.json</code> (both files at once) with the import form.</li>
              <li>From a shell: <code>garminsync login --import FILE|DIR</code>.</li>
              <li>With a service ticket from a browser sign-in: the ticket form, or <code
                >garminsync login --ticket ST-…</code>.</li>
            </ul>
          </section>
        </div>
      <//>
  `;
}

function StatusCard(props: { auth: AuthView | null; authError: string | null; now: Date }) {
  const a = props.auth;
  const warn = authWarning(a, props.now);
  const stored = a && (a.authenticated || a.state === "expired" || a.state === "key_mismatch" || a.method);
  return html`<section class="card" aria-labelledby="status-h">
    <h2 id="status-h">Status</h2>
    ${props.authError ? html`<p class="err-text">Cannot read the login state: ${props.authError}</p>` : null}
    ${
    warn && (a?.authenticated || a?.state === "key_mismatch")
      ? html`<p class=${`flash flash-${warn.kind}`}>${warn.text}</p>`
      : null
  }
    <dl class="facts">
      <dt>State</dt>
      <dd>${
    a?.state === "expired"
      ? html`<${Badge} value="failed" label="expired" /> log in again below`
      : a?.state === "key_mismatch"
      ? html`<${Badge} value="failed" label="key mismatch" /> tokens stored but unreadable`
      : a?.authenticated
      ? html`<${Badge} value="success" label="logged in" />`
      : html`<${Badge} value="no_file" label="not logged in" />`
  }</dd>
      <dt>Account</dt><dd>${a?.display_name ?? "—"}</dd>
      <dt>Method</dt><dd>${a?.method ?? "—"}</dd>
      <dt>Access token expires</dt><dd>${
    a?.access_expires_at
      ? html`<${Time} iso=${a.access_expires_at} text=${fmtUtc(a.access_expires_at)} /> <span class="muted small">(${
        fmtRelative(a.access_expires_at, props.now)
      }; renewed automatically)</span>`
      : "—"
  }</dd>
      <dt>Refresh token expires</dt><dd>${
    a?.refresh_expires_at
      ? html`<${Time} iso=${a.refresh_expires_at} text=${fmtUtc(a.refresh_expires_at)} /> <span class="muted small">(${
        fmtRelative(a.refresh_expires_at, props.now)
      })</span>`
      : "—"
  }</dd>
      <dt>Last renewed</dt><dd>${a?.last_refresh_at ? fmtUtc(a.last_refresh_at) : "—"}</dd>
    </dl>
    ${
    stored
      ? html`
        <form method="post" action="/logout" class="actions">
          <button type="submit" class="secondary">Log out</button>
          <span class="muted small">Deletes the stored Garmin tokens.</span>
        </form>
      `
      : null
  }
  </section>`;
}

function PasswordCard(props: { envCredentials: boolean }) {
  return html`
    <section class="card" aria-labelledby="pw-h">
      <h2 id="pw-h">Log in with email and password</h2>
      <form method="post" action="/login">
          <div class="field field-wide">
            <label for="l-email">Email</label>
            <input id="l-email" type="email" name="email" autocomplete="username" required=${!props.envCredentials}
              maxlength="254" />
          </div>
          <div class="field field-wide">
            <label for="l-password">Password</label>
            <input id="l-password" type="password" name="password" autocomplete="current-password" required=${!props
              .envCredentials} maxlength="1024" />
          </div>
          ${props.envCredentials
            ? html`<p class="muted small">Leave both empty to use <code>GARMIN_EMAIL</code> and <code>GARMIN_PASSWORD</code> from the
          environment.</p>`
            : null}
          <p class="actions"><button type="submit">Log in</button></p>
          <p class="muted small">The password goes to Garmin only; it is never stored. If Garmin asks for a code, you enter it next.</p>
        </form>
    </section>
  `;
}

function MfaCard() {
  return html`
    <section class="card" aria-labelledby="mfa-h">
      <h2 id="mfa-h">Enter the MFA code</h2>
      <form method="post" action="/login/mfa">
        <p>Garmin sent a one-time code (by email or text message). Enter it within 10 minutes.</p>
        <div class="field">
          <label for="l-code">Code</label>
          <input id="l-code" type="text" name="code" inputmode="numeric" autocomplete="one-time-code" pattern="[0-9 ]{4,10}"
            maxlength="10" required autofocus />
        </div>
        <p class="actions">
          <button type="submit">Verify</button>
          <a class="btn btn-secondary" href="/login">Start over</a>
        </p>
      </form>
    </section>
  `;
}

function ImportCard() {
  return html`
    <section class="card" aria-labelledby="imp-h">
      <h2 id="imp-h">Import tokens</h2>
      <form method="post" action="/login/import" enctype="multipart/form-data">
        <div class="field field-wide">
          <label for="l-tokens">Token JSON (garmin_tokens.json, or garth's {"oauth1": …, "oauth2": …})</label>
          <textarea id="l-tokens" name="tokens" spellcheck="false" autocomplete="off" rows="6"></textarea>
        </div>
        <div class="field">
          <label for="l-file">…or choose the file(s)</label>
          <input id="l-file" type="file" name="file" multiple accept=".json,application/json"
            aria-describedby="l-file-help" />
        </div>
        <p id="l-file-help"
          class="muted small">Either <code>garmin_tokens.json</code> (python-garminconnect), or garth's <code
          >oauth1_token.json</code> and <code>oauth2_token.json</code> chosen together.</p>
        <p class="actions"><button type="submit">Import</button></p>
      </form>
    </section>
  `;
}

function TicketCard() {
  return html`
    <section class="card" aria-labelledby="tk-h">
      <h2 id="tk-h">Log in with a service ticket</h2>
      <form method="post" action="/login/ticket">
        <p
          class="muted small">Sign in on Garmin's mobile sign-in page in a browser, copy <code>serviceTicketId</code> from the <code
          >/mobile/api/login</code> answer (developer tools, Network) and paste it here within a few minutes: a ticket
          works once.</p>
        <div class="field field-wide">
          <label for="l-ticket">Service ticket</label>
          <input id="l-ticket" type="text" name="ticket" required maxlength="512" pattern="\\s*ST-\\S+\\s*" placeholder="ST-…"
            autocomplete="off" spellcheck="false" />
        </div>
        <div class="field field-wide">
          <label for="l-service">Service URL (optional)</label>
          <input id="l-service" type="url" name="service_url" maxlength="2048" autocomplete="off" spellcheck="false"
            aria-describedby="l-service-help" />
        </div>
        <p id="l-service-help"
          class="muted small">The address the ticket was issued for; leave empty for the mobile sign-in's
          (<code class="break">https://mobile.integration.garmin.com/gcm/android</code>).</p>
        <p class="actions"><button type="submit">Log in with the ticket</button></p>
      </form>
    </section>
  `;
}
