/**
 * `/garmin/auth`: password login (+ MFA), token import, service-ticket login, status and logout. Handlers throw
 * the typed errors of lib/errors.ts; the app's one `onError` turns them into JSON answers.
 */
import { Hono } from "hono";
import { zValidator } from "@hono/zod-validator";
import { describeIssues } from "./validation.ts";
import { z } from "zod";
import type { AppDeps } from "../lib/deps.ts";
import { InvalidInput } from "../lib/errors.ts";

export const loginBody = z.strictObject({
  email: z.string().trim().min(1, "must not be empty").max(320).optional(),
  password: z.string().min(1, "must not be empty").max(1024).optional(),
});
export const mfaBody = z.strictObject({
  code: z.string().trim().min(1, "must not be empty").max(32, "is too long for an MFA code"),
});
export const ticketBody = z.strictObject({
  ticket: z.string().trim().regex(/^ST-[A-Za-z0-9._-]+$/, "must be a service ticket starting with ST-"),
  service_url: z.url({ protocol: /^https?$/, error: "must be an http(s) URL" }).optional(),
});
export const diImport = z.strictObject({
  di_token: z.string().min(1, "must not be empty"),
  di_refresh_token: z.string().min(1, "must not be empty"),
  di_client_id: z.string().min(1, "must not be empty").optional(),
});
export const garthImport = z.strictObject({
  oauth1: z.looseObject({
    oauth_token: z.string().min(1, "must not be empty"),
    oauth_token_secret: z.string().min(1, "must not be empty"),
  }),
  oauth2: z.looseObject({}).optional(),
});
export const importBody = z.union([diImport, garthImport]);

function invalid(issues: readonly z.core.$ZodIssue[]): InvalidInput {
  const list = describeIssues(issues);
  const err = new InvalidInput(`invalid request body: ${list.map((i) => `${i.path}: ${i.message}`).join("; ")}`);
  err.extra = { issues: list };
  return err;
}

/** The validation hook: a body that does not fit throws InvalidInput (422) naming each field. */
function strict<T extends z.ZodType>(schema: T) {
  return zValidator("json", schema, (result) => {
    if (!result.success) throw invalid(result.error.issues);
  });
}

/** Routes mounted at /garmin/auth: login, mfa, import, ticket, status, logout. */
export function authRoutes(deps: AppDeps): Hono {
  const auth = deps.garmin.auth;
  const app = new Hono();

  app.post("/login", strict(loginBody), async (c) => {
    const body = c.req.valid("json");
    const email = body.email ?? deps.config.garminEmail;
    const password = body.password ?? deps.config.garminPassword;
    if (!email || !password) {
      throw new InvalidInput(
        "no credentials: send {email, password}, or set GARMIN_EMAIL and GARMIN_PASSWORD on the server",
      );
    }
    const result = await auth.login(email, password);
    return c.json({ status: result.status }, 200);
  });

  app.post("/mfa", strict(mfaBody), async (c) => {
    const result = await auth.submitMfa(c.req.valid("json").code);
    return c.json({ status: result.status }, 200);
  });

  app.post(
    "/import",
    zValidator("json", importBody, (result) => {
      if (result.success) return;
      const body = result.data as unknown;
      const garth = body !== null && typeof body === "object" && ("oauth1" in body || "oauth2" in body);
      const branch = (garth ? garthImport : diImport).safeParse(body);
      throw invalid(branch.success ? result.error.issues : branch.error.issues);
    }),
    async (c) => {
      const result = await auth.importTokens(c.req.valid("json"));
      return c.json({ status: result.status }, 200);
    },
  );

  app.post("/ticket", strict(ticketBody), async (c) => {
    const body = c.req.valid("json");
    const result = await auth.loginWithTicket(body.ticket, body.service_url);
    return c.json({ status: result.status }, 200);
  });

  app.get("/status", async (c) => c.json(await auth.status(), 200));

  app.delete("/", async (c) => {
    await auth.logout();
    return c.body(null, 204);
  });

  return app;
}
