/**
 * Tokens at rest: with GARMINSYNC_SECRET_KEY set, `token_data` is AES-256-GCM ciphertext (WebCrypto) under a key
 * derived from the secret with PBKDF2-SHA256 and a random salt stored beside the ciphertext. A wrong key is
 * reported as such, never returned as garbage; plaintext rows written before a key was set still load.
 */
import { NotAuthenticated } from "../../lib/errors.ts";

const ITERATIONS = 210_000;
const AAD = new TextEncoder().encode("garminsync/garmin_auth/v1");

/** The stored envelope of encrypted token data. */
interface Envelope {
  v: 1;
  kdf: "PBKDF2-SHA256";
  iter: number;
  salt: string;
  iv: string;
  ct: string;
}

/** Encodes token data for storage and decodes it back. */
export interface TokenCodec {
  /** True when a key is set, so `encode` encrypts. */
  readonly encrypts: boolean;
  encode(plain: string): Promise<{ data: string; encrypted: boolean }>;
  decode(data: string, encrypted: boolean): Promise<string>;
}

function b64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function unb64(s: string): Uint8Array<ArrayBuffer> {
  return Uint8Array.from(atob(s), (c) => c.charCodeAt(0));
}

/**
 * The stored tokens are encrypted and GARMINSYNC_SECRET_KEY is missing or is not the key they were saved with.
 * A NotAuthenticated (syncs fail with it), told apart so `auth status` can say "key_mismatch".
 */
export class KeyMismatch extends NotAuthenticated {
  constructor(message: string) {
    super(message);
    // Logs and API bodies keep showing the familiar kind.
    this.name = "NotAuthenticated";
  }
}

/** The message for a key that does not open the stored tokens. */
export const WRONG_KEY_MESSAGE =
  "GARMINSYNC_SECRET_KEY does not match the key the tokens were saved with: set the right key or log in again";

/** Creates the codec; without `secretKey` tokens are stored as plain JSON. */
export function createTokenCodec(secretKey?: string): TokenCodec {
  const keys = new Map<string, Promise<CryptoKey>>();
  let writeSalt: string | undefined;

  function deriveKey(salt: string, iterations: number): Promise<CryptoKey> {
    const id = `${salt}:${iterations}`;
    let key = keys.get(id);
    if (!key) {
      key = (async () => {
        const base = await crypto.subtle.importKey("raw", new TextEncoder().encode(secretKey), "PBKDF2", false, [
          "deriveKey",
        ]);
        return crypto.subtle.deriveKey(
          { name: "PBKDF2", hash: "SHA-256", salt: unb64(salt), iterations },
          base,
          { name: "AES-GCM", length: 256 },
          false,
          ["encrypt", "decrypt"],
        );
      })();
      keys.set(id, key);
    }
    return key;
  }

  return {
    encrypts: Boolean(secretKey),
    async encode(plain) {
      if (!secretKey) return { data: plain, encrypted: false };
      writeSalt ??= b64(crypto.getRandomValues(new Uint8Array(16)));
      const key = await deriveKey(writeSalt, ITERATIONS);
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const ct = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: AAD }, key, new TextEncoder().encode(plain)),
      );
      const env: Envelope = { v: 1, kdf: "PBKDF2-SHA256", iter: ITERATIONS, salt: writeSalt, iv: b64(iv), ct: b64(ct) };
      return { data: JSON.stringify(env), encrypted: true };
    },
    async decode(data, encrypted) {
      if (!encrypted) return data;
      if (!secretKey) {
        throw new KeyMismatch(
          "the stored Garmin tokens are encrypted but GARMINSYNC_SECRET_KEY is not set: set the key they were saved with, or log in again",
        );
      }
      let env: Envelope;
      try {
        env = JSON.parse(data) as Envelope;
        if (env.v !== 1 || typeof env.salt !== "string") throw new Error("unknown envelope");
      } catch {
        throw new NotAuthenticated("the stored Garmin tokens cannot be read (unknown format): log in again");
      }
      try {
        const key = await deriveKey(env.salt, env.iter);
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: unb64(env.iv), additionalData: AAD },
          key,
          unb64(env.ct),
        );
        // Keep writing under the salt already stored: one derivation per process.
        writeSalt ??= env.salt;
        return new TextDecoder().decode(plain);
      } catch {
        throw new KeyMismatch(WRONG_KEY_MESSAGE);
      }
    },
  };
}
