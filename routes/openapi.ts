/**
 * `/openapi.json`, generated with zod 4's `z.toJSONSchema()` from the very schemas the routes validate with
 * (each route module exports its operations next to its handlers). No OpenAPI helper library: zod 4 already
 * emits JSON Schema 2020-12, which is what OpenAPI 3.1 uses, so a small generator is enough and adds no
 * dependency whose zod-4 support would have to be trusted.
 */
import { Hono } from "hono";
import { z } from "zod";
import type { AppDeps } from "../lib/deps.ts";
import { errorSchema } from "./schemas.ts";

/** One documented response. */
export interface ApiResponseDoc {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json when a schema is given. */
  contentType?: string;
}

/** One documented operation; `path` uses OpenAPI's `{param}` form. */
export interface ApiOperation {
  method: "get" | "post" | "put" | "delete";
  path: string;
  summary: string;
  tags?: string[];
  params?: z.ZodObject;
  query?: z.ZodType;
  body?: z.ZodType;
  bodyRequired?: boolean;
  /** The body is an HTML form (application/x-www-form-urlencoded) instead of JSON. */
  formBody?: boolean;
  responses: Record<number, ApiResponseDoc>;
  /** True for routes that need no API token even when one is set. */
  open?: boolean;
}

type Json = Record<string, unknown>;

/** Converts a schema, moving its named parts (`.meta({id})`) into `components` and pointing refs there. */
function toSchema(schema: z.ZodType, io: "input" | "output", components: Json): Json {
  const out = z.toJSONSchema(schema, { io, unrepresentable: "any", target: "draft-2020-12" }) as Json;
  const defs = (out.$defs ?? {}) as Json;
  delete out.$defs;
  delete out.$schema;
  const fix = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(fix);
    if (v && typeof v === "object") {
      const o: Json = {};
      for (const [k, x] of Object.entries(v)) {
        o[k] = k === "$ref" && typeof x === "string" ? x.replace("#/$defs/", "#/components/schemas/") : fix(x);
      }
      return o;
    }
    return v;
  };
  // Named schemas (`.meta({id})`) are answer shapes; request schemas carry no id, so one name = one shape.
  for (const [name, def] of Object.entries(defs)) components[name] ??= fix(def);
  return fix(out) as Json;
}

function objectProperties(schema: z.ZodType, components: Json): { props: Json; required: Set<string> } {
  const json = toSchema(schema, "input", components);
  return {
    props: (json.properties ?? {}) as Json,
    required: new Set((json.required ?? []) as string[]),
  };
}

/** Builds the OpenAPI 3.1 document for `operations`. */
export function buildOpenApi(operations: ApiOperation[], info: { title: string; version: string }): Json {
  const components: Json = {};
  const paths: Record<string, Json> = {};
  for (const op of operations) {
    const parameters: Json[] = [];
    for (const [where, schema] of [["path", op.params], ["query", op.query]] as const) {
      if (!schema) continue;
      const { props, required } = objectProperties(schema, components);
      for (const [name, s] of Object.entries(props)) {
        const { description, ...rest } = s as Json;
        parameters.push({
          name,
          in: where,
          required: where === "path" || required.has(name),
          ...(description ? { description } : {}),
          schema: rest,
        });
      }
    }
    const responses: Json = {};
    for (const [status, r] of Object.entries(op.responses)) {
      responses[status] = {
        description: r.description,
        ...(r.schema
          ? { content: { [r.contentType ?? "application/json"]: { schema: toSchema(r.schema, "output", components) } } }
          : r.contentType
          ? { content: { [r.contentType]: { schema: { type: "string", format: "binary" } } } }
          : {}),
      };
    }
    if (op.body) {
      // Every body route shares the body guard's answers (routes/validation.ts `bodyGuard`).
      if (!op.formBody) {
        const bad = "the body is not valid JSON, or not JSON at all (send Content-Type: application/json)";
        const own = responses["400"] as Json | undefined;
        responses["400"] = own ? { ...own, description: `${own.description}; or ${bad}` } : {
          description: bad,
          content: { "application/json": { schema: toSchema(errorSchema, "output", components) } },
        };
      }
      responses["413"] ??= {
        description: "the body is larger than 64 KiB",
        ...(op.formBody
          ? {}
          : { content: { "application/json": { schema: toSchema(errorSchema, "output", components) } } }),
      };
    }
    if (!op.open) {
      responses["401"] ??= {
        description: "GARMINSYNC_API_TOKEN is set and the request carries no valid token or session",
      };
      responses["403"] ??= {
        description: "no GARMINSYNC_API_TOKEN is set and the request is addressed to a host name that is not " +
          "loopback, the daemon's --host or in GARMINSYNC_ALLOWED_HOSTS (DNS-rebinding protection)",
      };
    }
    const operation: Json = {
      operationId: `${op.method}${op.path.replace(/[{}]/g, "").replace(/[/_.-]+(\w)/g, (_, ch) => ch.toUpperCase())}`,
      summary: op.summary,
      ...(op.tags ? { tags: op.tags } : {}),
      ...(parameters.length ? { parameters } : {}),
      ...(op.body
        ? {
          requestBody: {
            required: op.bodyRequired ?? true,
            content: {
              [op.formBody ? "application/x-www-form-urlencoded" : "application/json"]: {
                schema: toSchema(op.body, "input", components),
              },
            },
          },
        }
        : {}),
      responses,
      ...(op.open ? { security: [] } : {}),
    };
    (paths[op.path] ??= {})[op.method] = operation;
  }
  return {
    openapi: "3.1.0",
    info: {
      ...info,
      description: "GarminSync mirrors a Garmin Connect account onto your own disk. JSON, snake_case, times in " +
        'ISO-8601 UTC; errors are {"error": "<what and what to do>"}. Bodies over 64 KiB answer 413.',
    },
    servers: [{ url: "/" }],
    paths,
    components: {
      schemas: components,
      securitySchemes: { bearer: { type: "http", scheme: "bearer", description: "GARMINSYNC_API_TOKEN" } },
    },
    security: [{ bearer: [] }, {}],
  };
}

/** GET /openapi.json, built once per app from `operations`. */
export function openapiRoutes(_deps: AppDeps, operations: () => ApiOperation[], version: string): Hono {
  const app = new Hono();
  let doc: Json | undefined;
  app.get("/openapi.json", (c) => {
    doc ??= buildOpenApi(operations(), { title: "GarminSync API", version });
    return c.json(doc);
  });
  return app;
}
