/**
 * A small cookie jar for the SSO login: Deno's fetch keeps no cookies, but Garmin's MFA step must run in the
 * same cookie session as the login POST. One jar per login; cookies never leave the process.
 */

/** Cookies of one login session (name → value; SSO cookies are host-only and path "/"). */
export interface CookieJar {
  /** Stores the cookies of a response's Set-Cookie headers. */
  store(headers: Headers): void;
  /** The Cookie header value, or undefined when the jar is empty. */
  header(): string | undefined;
  /** Names held (for tests and debugging; never values). */
  names(): string[];
}

/** Creates an empty cookie jar. */
export function createCookieJar(): CookieJar {
  const cookies = new Map<string, string>();
  return {
    store(headers) {
      for (const line of headers.getSetCookie()) {
        const [pair, ...attrs] = line.split(";");
        const eq = pair.indexOf("=");
        if (eq <= 0) continue;
        const name = pair.slice(0, eq).trim();
        const value = pair.slice(eq + 1).trim();
        const expired = attrs.some((a) => {
          const [k, v = ""] = a.split("=").map((s) => s.trim());
          if (/^max-age$/i.test(k)) return Number(v) <= 0;
          if (/^expires$/i.test(k)) return Date.parse(v) < Date.now();
          return false;
        });
        if (expired || value === "") cookies.delete(name);
        else cookies.set(name, value);
      }
    },
    header() {
      if (!cookies.size) return undefined;
      return [...cookies].map(([k, v]) => `${k}=${v}`).join("; ");
    },
    names: () => [...cookies.keys()],
  };
}
