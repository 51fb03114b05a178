/**
 * zValidator with one error format for every route: `{error: "<field>: <problem>", issues: [...]}`.
 * Bodies answer 422 (well-formed JSON that does not fit), query strings and path parameters 400.
 */
import type { Context, MiddlewareHandler } from "hono";
import { zValidator } from "@hono/zod-validator";
import type { z } from "zod";

/** One invalid field, as the API reports it. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Turns zod issues into `{path, message}` pairs; unknown keys are named one by one. */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): FieldIssue[] {
  const out: FieldIssue[] = [];
  for (const i of issues) {
    const path = i.path.map(String).join(".");
    if (i.code === "unrecognized_keys") {
      for (const k of i.keys) out.push({ path: path ? `${path}.${k}` : k, message: "is not a known field" });
    } else if (i.code === "invalid_type" && /received undefined$/.test(i.message)) {
      // zod 4 does not put the input on issues by default; its message says what was received.
      out.push({ path: path || "(body)", message: "is required" });
    } else {
      out.push({ path: path || "(body)", message: i.message });
    }
  }
  return out;
}

function hookFor(status: 400 | 422, where: string) {
  return (result: { success: boolean; error?: { issues: readonly z.core.$ZodIssue[] } }, c: Context) => {
    if (result.success || !result.error) return;
    const issues = describeIssues(result.error.issues);
    const head = issues.map((i) => `${i.path}: ${i.message}`).join("; ");
    return c.json({ error: `invalid ${where}: ${head}`, issues }, status);
  };
}

/** Validates the JSON body (strict schemas: unknown fields → 422 naming them). */
export function jsonBody<T extends z.ZodType>(schema: T) {
  return zValidator("json", schema, hookFor(422, "request body"));
}

/** Validates the query string (400 naming the parameter). */
export function queryOf<T extends z.ZodType>(schema: T) {
  return zValidator("query", schema, hookFor(400, "query parameter"));
}

/** Validates path parameters (400 naming the parameter). */
export function paramsOf<T extends z.ZodType>(schema: T) {
  return zValidator("param", schema, hookFor(400, "path parameter"));
}

/**
 * A body that is present must be JSON: `curl -d` sends form encoding by default, and parsing it as `{}` would give
 * a misleading "field is required". No body at all is fine (every body of this API is optional or validated next).
 */
export const requireJsonBody: MiddlewareHandler = async (c, next) => {
  const length = c.req.header("content-length");
  const hasBody = c.req.raw.body !== null && (length === undefined || length !== "0");
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (hasBody && type && !/^application\/([\w.-]+\+)?json$/.test(type)) {
    return c.json({
      error: `the request body must be JSON: send it with "Content-Type: application/json" (got "${
        type.slice(0, 80)
      }")`,
    }, 415);
  }
  await next();
};
