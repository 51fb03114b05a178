/**
 * OpenAPI description of the /garmin/auth routes (served by routes/auth.ts), from the same zod schemas those
 * routes validate with. The import body is a union of two token formats; it is described as one object here.
 */
import { z } from "zod";
import { errorSchema } from "./schemas.ts";
import { loginBody, mfaBody, ticketBody } from "./auth.ts";
import type { ApiOperation } from "./openapi.ts";

const importBody = z.record(z.string(), z.unknown())
  .describe("a python-garminconnect garmin_tokens.json object, or garth {oauth1, oauth2}");
const loginAnswer = z.object({ status: z.enum(["authenticated", "mfa_required"]) }).meta({ id: "LoginAnswer" });
const authStatus = z.object({
  authenticated: z.boolean(),
  method: z.string().nullable(),
  display_name: z.string().nullable(),
  access_expires_at: z.string().nullable(),
  refresh_expires_at: z.string().nullable(),
  last_refresh_at: z.string().nullable(),
  state: z.enum(["active", "expired", "key_mismatch", "unreadable"]).nullable().optional(),
}).meta({ id: "AuthStatus" });

/** The auth operations of the contract. */
export const authDocs: ApiOperation[] = [
  {
    method: "post",
    path: "/garmin/auth/login",
    tags: ["auth"],
    summary: "Log in to Garmin Connect with email and password (may ask for an MFA code)",
    body: loginBody,
    bodyRequired: false,
    responses: {
      200: { description: "authenticated, or mfa_required (then POST /garmin/auth/mfa)", schema: loginAnswer },
      401: { description: "bad credentials", schema: errorSchema },
      422: { description: "no credentials: none in the body and none configured", schema: errorSchema },
      429: { description: "Garmin rate-limits logins", schema: errorSchema },
      503: { description: "Garmin blocks the login (bot check) or is unreachable", schema: errorSchema },
    },
  },
  {
    method: "post",
    path: "/garmin/auth/mfa",
    tags: ["auth"],
    summary: "Finish a pending login with the MFA code",
    body: mfaBody,
    responses: {
      200: { description: "authenticated", schema: loginAnswer },
      400: { description: "wrong code; the pending login stays usable", schema: errorSchema },
      409: { description: "no pending login", schema: errorSchema },
      422: { description: "no code, or not a code", schema: errorSchema },
    },
  },
  {
    method: "post",
    path: "/garmin/auth/import",
    tags: ["auth"],
    summary: "Import tokens from python-garminconnect or garth",
    body: importBody,
    responses: {
      200: { description: "authenticated", schema: loginAnswer },
      422: { description: "not a token file GarminSync understands", schema: errorSchema },
    },
  },
  {
    method: "post",
    path: "/garmin/auth/ticket",
    tags: ["auth"],
    summary: "Log in with a service ticket (ST-...) from a browser sign-in",
    body: ticketBody,
    responses: {
      200: { description: "authenticated", schema: loginAnswer },
      400: { description: "the ticket was refused or expired", schema: errorSchema },
      422: { description: "invalid body", schema: errorSchema },
    },
  },
  {
    method: "get",
    path: "/garmin/auth/status",
    tags: ["auth"],
    summary: "The stored Garmin session: never a token",
    responses: { 200: { description: "status", schema: authStatus } },
  },
  {
    method: "delete",
    path: "/garmin/auth",
    tags: ["auth"],
    summary: "Log out: the stored tokens are deleted",
    responses: { 204: { description: "logged out" } },
  },
];
