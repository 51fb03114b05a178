/**
 * Reads the claims of a JWT access token without checking its signature (we are its bearer, not its verifier):
 * `exp` gives the refresh time and `client_id` the DI client id to refresh with.
 */

/** The claims GarminSync reads. */
export interface JwtClaims {
  exp?: number;
  client_id?: string;
  [key: string]: unknown;
}

function decodePart(part: string): unknown {
  const b64 = part.replace(/-/g, "+").replace(/_/g, "/").padEnd(Math.ceil(part.length / 4) * 4, "=");
  const bin = atob(b64);
  const bytes = Uint8Array.from(bin, (c) => c.charCodeAt(0));
  return JSON.parse(new TextDecoder().decode(bytes));
}

/** The claims of `token`, or null when it is not a JWT or uses `alg: none` (whose claims nobody vouches for). */
export function jwtClaims(token: string): JwtClaims | null {
  const parts = token.split(".");
  if (parts.length !== 3) return null;
  try {
    const header = decodePart(parts[0]) as { alg?: string };
    if (!header || typeof header !== "object" || String(header.alg).toLowerCase() === "none") return null;
    const claims = decodePart(parts[1]);
    return claims && typeof claims === "object" ? claims as JwtClaims : null;
  } catch {
    return null;
  }
}
