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

/** The error message of an API body that is not JSON (`curl -d` sends form encoding by default). */
export function notJsonMessage(mediaType: string): string {
  return `the request body must be JSON: send it with "Content-Type: application/json" (got "${
    mediaType.slice(0, 80)
  }")`;
}

const JSON_TYPE = /^application\/([\w.-]+\+)?json$/;

/**
 * Reads request bodies under a size limit and normalises API bodies, without ever rebuilding the Request:
 * - a body over `maxBytes` (by Content-Length, or counted while streaming) answers `onTooLarge`;
 * - a streamed body (no Content-Length) is read here and kept in Hono's body cache, so handlers and validators
 *   read it from there. (hono/body-limit instead wraps the stream in `new Request(raw, ...)`, which reads
 *   `request.signal` and makes Deno.serve print its "request.signal aborts on successful responses" warning);
 * - on API paths, an empty body sent as JSON means `{}` (every body there is an object whose fields are
 *   optional or validated next: an empty sync start is a plain start), and a non-empty body that is not JSON
 *   answers 400 naming its content type (parsing it as `{}` would give a misleading "field is required").
 */
export function bodyGuard(o: {
  maxBytes: number;
  onTooLarge: (c: Context) => Response;
  isApiPath: (path: string) => boolean;
}): MiddlewareHandler {
  return async (c, next) => {
    // HonoRequest keeps each read form of the body as a promise under its method name (text, arrayBuffer, ...) and
    // derives the others from any cached one; its type declares the resolved values.
    const cache = c.req.bodyCache as Record<string, Promise<unknown>>;
    const raw = c.req.raw;
    if (raw.body === null || raw.method === "GET" || raw.method === "HEAD") return await next();
    const length = raw.headers.get("content-length");
    let empty = length === "0";
    if (length !== null && !raw.headers.has("transfer-encoding")) {
      if (!/^\d+$/.test(length) || Number(length) > o.maxBytes) return o.onTooLarge(c);
    } else {
      const chunks: Uint8Array[] = [];
      let size = 0;
      for await (const chunk of raw.body) {
        size += chunk.byteLength;
        if (size > o.maxBytes) return o.onTooLarge(c);
        chunks.push(chunk);
      }
      const bytes = new Uint8Array(size);
      let at = 0;
      for (const chunk of chunks) {
        bytes.set(chunk, at);
        at += chunk.byteLength;
      }
      cache.arrayBuffer = Promise.resolve(bytes.buffer);
      empty = size === 0;
    }
    if (!o.isApiPath(c.req.path)) return await next();
    const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
    if (JSON_TYPE.test(type)) {
      if (empty || (await c.req.text()).trim() === "") cache.text = Promise.resolve("{}");
    } else if (type && !empty) {
      return c.json({ error: notJsonMessage(type) }, 400);
    }
    await next();
  };
}
