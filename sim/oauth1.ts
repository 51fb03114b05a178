/**
 * OAuth 1.0a HMAC-SHA1 signature checking for the simulator's `oauth-service` endpoints (RFC 5849), done for real so a
 * client that signs wrongly fails here as it would at Garmin.
 */
import { Buffer } from "node:buffer";
import { createHmac, timingSafeEqual } from "node:crypto";

/** RFC 3986 percent-encoding as OAuth 1.0a requires (stricter than encodeURIComponent). */
export function oauthEncode(s: string): string {
  return encodeURIComponent(s).replace(/[!'()*]/g, (c) => "%" + c.charCodeAt(0).toString(16).toUpperCase());
}

/** The OAuth parameters of an `Authorization: OAuth ...` header (values decoded), or null when there is none. */
export function parseOAuthHeader(header: string | undefined): Map<string, string> | null {
  if (!header || !/^oauth\s/i.test(header)) return null;
  const out = new Map<string, string>();
  for (const m of header.slice(6).matchAll(/([\w.-]+)\s*=\s*"([^"]*)"/g)) {
    out.set(decodeURIComponent(m[1]), decodeURIComponent(m[2]));
  }
  return out;
}

/** The signature base string of a request: METHOD & enc(base URL) & enc(sorted, encoded parameters). */
export function signatureBaseString(method: string, baseUrl: string, params: [string, string][]): string {
  const normalized = params
    .map(([k, v]) => [oauthEncode(k), oauthEncode(v)] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : a[1] < b[1] ? -1 : a[1] > b[1] ? 1 : 0))
    .map(([k, v]) => `${k}=${v}`)
    .join("&");
  return [method.toUpperCase(), oauthEncode(baseUrl), oauthEncode(normalized)].join("&");
}

/** HMAC-SHA1 of the base string with key `enc(consumerSecret)&enc(tokenSecret)`, base64. */
export function hmacSha1Signature(base: string, consumerSecret: string, tokenSecret: string): string {
  return createHmac("sha1", `${oauthEncode(consumerSecret)}&${oauthEncode(tokenSecret)}`).update(base).digest("base64");
}

/** What a request carried, for verification. */
export interface SignedRequest {
  method: string;
  /** Candidate base URLs (scheme://host[:port]/path) the client may have signed; any one may match. */
  baseUrls: string[];
  query: URLSearchParams;
  authorization: string | undefined;
  /** Parsed body parameters when the body is application/x-www-form-urlencoded, else empty. */
  form: [string, string][];
}

/** Outcome of a check: the OAuth parameters when the signature is right, else why not. */
export type OAuthCheck = { ok: true; params: Map<string, string> } | { ok: false; reason: string };

/**
 * Verifies an OAuth 1.0a HMAC-SHA1 request. OAuth parameters come from the Authorization header, or else from the query
 * string (the npm `garmin-connect` client puts them there). The secrets are looked up by consumer key and token.
 */
export function verifyOAuth1(
  req: SignedRequest,
  consumerSecretFor: (key: string) => string | undefined,
  tokenSecretFor: (token: string) => string | undefined,
): OAuthCheck {
  const header = parseOAuthHeader(req.authorization);
  const queryPairs = [...req.query.entries()];
  const oauth = header ?? new Map(queryPairs.filter(([k]) => k.startsWith("oauth_")));
  const signature = oauth.get("oauth_signature");
  const consumerKey = oauth.get("oauth_consumer_key");
  if (!signature || !consumerKey) return { ok: false, reason: "missing OAuth parameters" };
  if ((oauth.get("oauth_signature_method") ?? "").toUpperCase() !== "HMAC-SHA1") {
    return { ok: false, reason: "unsupported signature method" };
  }
  const consumerSecret = consumerSecretFor(consumerKey);
  if (consumerSecret === undefined) return { ok: false, reason: "unknown consumer key" };
  const token = oauth.get("oauth_token");
  let tokenSecret = "";
  if (token !== undefined && token !== "") {
    const found = tokenSecretFor(token);
    if (found === undefined) return { ok: false, reason: "unknown or revoked token" };
    tokenSecret = found;
  }
  // Base string parameters: query (minus the signature), header oauth_* (minus realm and signature), form body.
  const params: [string, string][] = queryPairs.filter(([k]) => k !== "oauth_signature");
  if (header) {
    for (const [k, v] of header) if (k !== "realm" && k !== "oauth_signature") params.push([k, v]);
  }
  params.push(...req.form);
  const wanted = Buffer.from(signature);
  for (const baseUrl of req.baseUrls) {
    const expected = Buffer.from(
      hmacSha1Signature(signatureBaseString(req.method, baseUrl, params), consumerSecret, tokenSecret),
    );
    if (expected.length === wanted.length && timingSafeEqual(expected, wanted)) return { ok: true, params: oauth };
  }
  return { ok: false, reason: "signature does not match" };
}
