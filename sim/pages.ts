/**
 * The HTML the simulator answers: sign-in pages (the browser one with a working script, and the classic widget ones
 * whose markup the regexes of garth, the npm client and python-garminconnect parse), Cloudflare-like block pages and
 * the Tomcat-like 401 page of connectapi.
 */

/** Escapes text for HTML element content and attribute values. */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

/** A string as a JS string literal with `/` escaped the way Garmin's pages do (`https:\/\/...`). */
function jsString(s: string): string {
  return JSON.stringify(s).replace(/\//g, "\\/").replace(/</g, "\\u003c");
}

/**
 * The browser sign-in page of `/mobile/sso/en_US/sign-in` and `/portal/sso/en-US/sign-in`. Its script posts JSON to
 * `/{mobile|portal}/api/login` with the page's own query, asks for the MFA code when told to, and on success navigates
 * to `<serviceURL>?ticket=<serviceTicketId>` like Garmin's page.
 */
export function browserSignInPage(flow: "mobile" | "portal"): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Garmin SSO Portal</title>
<style>
body { font-family: system-ui, sans-serif; max-width: 24rem; margin: 3rem auto; padding: 0 1rem; }
label { display: block; margin-top: 1rem; }
input { width: 100%; padding: .5rem; box-sizing: border-box; }
button { margin-top: 1rem; padding: .6rem 1.2rem; }
#error { color: #b00020; min-height: 1.2em; }
[hidden] { display: none; }
</style>
</head>
<body>
<h1>Sign In</h1>
<p>Garmin Connect simulator: any page looking like this one is not Garmin.</p>
<form id="login-form" method="post" novalidate>
  <label for="email">Email</label>
  <input id="email" name="email" type="email" autocomplete="username" required>
  <label for="password">Password</label>
  <input id="password" name="password" type="password" autocomplete="current-password" required>
  <button type="submit" id="login-btn-signin">Sign In</button>
</form>
<form id="mfa-form" method="post" hidden novalidate>
  <p id="mfa-sent-to"></p>
  <label for="mfa-code">Security code</label>
  <input id="mfa-code" name="mfa-code" inputmode="numeric" autocomplete="one-time-code" maxlength="6" required>
  <button type="submit" id="mfa-btn-submit">Verify</button>
</form>
<p id="error" role="alert"></p>
<script>
(function () {
  var api = "/${flow}/api";
  var params = new URLSearchParams(location.search);
  if (!params.has("locale")) params.set("locale", "en-US");
  var query = "?" + params.toString();
  var mfaMethod = "email";
  var errorBox = document.getElementById("error");
  function finish(body) {
    var target = body.serviceURL || params.get("service") || "/";
    location.href = target + (target.indexOf("?") >= 0 ? "&" : "?") + "ticket=" + encodeURIComponent(body.serviceTicketId);
  }
  function post(path, payload) {
    return fetch(api + path + query, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "Accept": "application/json, text/plain, */*" },
      body: JSON.stringify(payload)
    }).then(function (res) {
      return res.text().then(function (text) {
        try { return JSON.parse(text); } catch (e) { return { responseStatus: { type: "HTTP_" + res.status } }; }
      });
    });
  }
  function handle(body) {
    var type = body && body.responseStatus ? body.responseStatus.type : "UNKNOWN";
    if (type === "SUCCESSFUL" && body.serviceTicketId) return finish(body);
    if (type === "MFA_REQUIRED") {
      mfaMethod = (body.customerMfaInfo && body.customerMfaInfo.mfaLastMethodUsed) || "email";
      var sentTo = body.customerMfaInfo && body.customerMfaInfo.email;
      document.getElementById("mfa-sent-to").textContent = "We sent a code to " + (sentTo || "your email") + ".";
      document.getElementById("login-form").hidden = true;
      document.getElementById("mfa-form").hidden = false;
      errorBox.textContent = "";
      document.getElementById("mfa-code").focus();
      return;
    }
    errorBox.textContent = type === "INVALID_USERNAME_PASSWORD"
      ? "Invalid sign in. (Passwords are case sensitive.)"
      : type === "INVALID_MFA_CODE" ? "Invalid code. Please try again." : "Sign in failed: " + type;
  }
  document.getElementById("login-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    post("/login", {
      username: document.getElementById("email").value,
      password: document.getElementById("password").value,
      rememberMe: false,
      captchaToken: ""
    }).then(handle, function () { errorBox.textContent = "Network error, try again."; });
  });
  document.getElementById("mfa-form").addEventListener("submit", function (ev) {
    ev.preventDefault();
    post("/mfa/verifyCode", {
      mfaMethod: mfaMethod,
      mfaVerificationCode: document.getElementById("mfa-code").value,
      rememberMyBrowser: false,
      reconsentList: [],
      mfaSetup: false
    }).then(handle, function () { errorBox.textContent = "Network error, try again."; });
  });
})();
</script>
</body>
</html>
`;
}

/** `/sso/embed` (body ignored by clients; it only sets cookies). */
export function embedPage(): string {
  return `<!DOCTYPE html>
<html class="no-js">
<head>
<title>GAuth Embedded Version</title>
<meta charset="utf-8">
</head>
<body><div id="gauth-widget">Garmin Connect simulator embed</div></body>
</html>
`;
}

/** The classic widget sign-in page, optionally in its failed state (wrong password). */
export function widgetSignInPage(csrf: string, failed: boolean): string {
  return `<!DOCTYPE html>
<html class="no-js">
<head>
<title>GARMIN Authentication Application</title>
<meta charset="utf-8">
<script type="text/javascript">
var status 			= "${failed ? "FAIL" : ""}";
var result          = "${failed ? "error" : ""}";
</script>
</head>
<body>
<form method="post" id="login-form">
  <div class="form-alert">
    ${failed ? '<div id="status" class="error">Invalid sign in. (Passwords are case sensitive.)</div>' : ""}
    <div id="username-error" style="display:none;"></div>
  </div>
  <input class="login_email" name="username" id="username" value="" type="email" />
  <input type="password" name="password" id="password" />
  <input type="hidden" name="embed" value="true"/>
  <input type="hidden" name="_csrf" value="${csrf}" />
  <button type="submit" id="login-btn-signin" class="btn1" accesskey="l">Sign In</button>
</form>
</body>
</html>
`;
}

/** The classic widget MFA page; `csrf` null is the "wrong code" variant, which has no CSRF field. */
export function widgetMfaPage(csrf: string | null, vars: { customerGuid: string; codeSentTo: string }): string {
  return `<!DOCTYPE html>
<html class="no-js">
<head>
<title>Enter MFA code for login</title>
<meta charset="utf-8">
<script type="text/javascript">
var customerGuid = "${vars.customerGuid}";
var mfaMethod = "email";
var locale = "";
var clientId = "";
var codeSentTo = "${escapeHtml(vars.codeSentTo)}";
</script>
</head>
<body>
${csrf === null ? '<div id="status" class="error">Invalid code. Please try again.</div>' : ""}
<form id="submit-mfa-verification-code-form" name="submit-mfa-verification-code-form" method="post" novalidate="novalidate">
  <input type="number" pattern="[0-9]*" inputmode="numeric" maxlength="6" id="mfa-code" name="mfa-code" />
  <input type="hidden" name="embed"            value="true"/>
  ${csrf === null ? "" : `<input type="hidden" name="_csrf"            value="${csrf}" />`}
  <input type="hidden" name="fromPage"            value="setupEnterMfaCode"/>
  <button type="submit" id="mfa-btn-submit">Verify</button>
</form>
</body>
</html>
`;
}

/** The widget's Success page: the first `ticket=` in it is `embed?ticket=ST-...-cas"` when the service is the embed URL. */
export function widgetSuccessPage(serviceUrl: string, ticket: string): string {
  const responseUrl = `${serviceUrl}${serviceUrl.includes("?") ? "&" : "?"}ticket=${ticket}`;
  return `<!DOCTYPE html>
<html class="no-js">
<head>
<title>Success</title>
<meta charset="utf-8">
<script type="text/javascript">
var redirectAfterAccountLoginUrl 	  = ${jsString(serviceUrl)};
var redirectAfterAccountCreationUrl = ${jsString(serviceUrl)};
var consumeServiceTicket         	  = "true";
var service_url                  	  = ${jsString(serviceUrl)};
var parent_url                   	  = ${jsString(serviceUrl)};
var response_url                 	  = ${jsString(responseUrl)};
var logintoken                   	  = "";
var socialLogin                   	  = "";
var performMFACheck                 = "";
</script>
</head>
<body><p>Signed in.</p></body>
</html>
`;
}

/** Cloudflare-like 429 page (the title the notes quote). */
export function cloudflareRateLimitPage(rayId: string): string {
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<title>Access denied | sso.garmin.com used Cloudflare to restrict access</title>
<meta charset="UTF-8">
</head>
<body>
<div id="cf-wrapper">
<h1><span class="cf-error-type">Error</span> <span class="cf-error-code">1015</span></h1>
<h2>You are being rate limited</h2>
<p>The owner of this website (sso.garmin.com) has banned you temporarily from accessing this website.</p>
<p>Cloudflare Ray ID: <strong>${rayId}</strong></p>
</div>
</body>
</html>
`;
}

/** Cloudflare-like 403 bot-challenge page. */
export function cloudflareChallengePage(rayId: string): string {
  return `<!DOCTYPE html>
<html lang="en-US">
<head>
<title>Just a moment...</title>
<meta charset="UTF-8">
<meta name="robots" content="noindex,nofollow">
</head>
<body>
<div class="main-wrapper" role="main">
<h1>sso.garmin.com</h1>
<h2>Verify you are human by completing the action below.</h2>
<noscript>Enable JavaScript and cookies to continue</noscript>
<p>Cloudflare Ray ID: ${rayId}</p>
</div>
</body>
</html>
`;
}

/** Tomcat-like 401 of connectapi for a missing, expired or unknown Bearer token. */
export function tomcat401Page(): string {
  return `<!doctype html><html lang="en"><head><title>HTTP Status 401 – Unauthorized</title></head><body>` +
    `<h1>HTTP Status 401 – Unauthorized</h1><hr class="line" /><p><b>Type</b> Status Report</p>` +
    `<p><b>Message</b> OAuthToken is invalid</p>` +
    `<p><b>Description</b> The request has not been applied to the target resource because it lacks valid ` +
    `authentication credentials for that resource.</p><hr class="line" /><h3>Garmin Connect API Server</h3></body></html>`;
}

/** A 200 HTML page where JSON was expected (what a challenged request can look like). */
export function unexpectedHtmlPage(): string {
  return `<!DOCTYPE html>
<html lang="en">
<head><title>Garmin Connect</title><meta charset="utf-8"></head>
<body><noscript>Please enable JavaScript to continue.</noscript><div id="root"></div></body>
</html>
`;
}
