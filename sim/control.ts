/**
 * The simulator's control API: loopback-only endpoints under `/__sim/` (a prefix Garmin never uses) that let a
 * person or a script at the standalone simulator do what tests do in-process: queue and clear faults, read the
 * recorded Garmin calls, add activities, expire or revoke tokens. Control requests are neither recorded nor subject
 * to faults, so tests counting Garmin calls never see them.
 */
import { z } from "zod";
import {
  FAULT_SPEC_HELP,
  faultFromInput,
  FaultSpecError,
  formatFaultSpec,
  matchSource,
  parseFaultSpec,
} from "./faults.ts";
import type { Fault, Simulator } from "./server.ts";

/** Paths at or under this prefix are the control API. */
export const CONTROL_PREFIX = "/__sim";

/** The endpoints, as `GET /__sim/` lists them. */
export const CONTROL_ENDPOINTS = [
  "GET    /__sim/faults                queued faults, in the order they are tried",
  'POST   /__sim/faults                {"spec":"status:503@/activitylist-service"} or',
  '                                    {"kind":"rate_limit","match":"/download-service/","times":3,"retryAfter":30}',
  "DELETE /__sim/faults                clear every queued fault",
  "GET    /__sim/calls?match=REGEX     recorded Garmin requests (never /__sim/ ones)",
  "DELETE /__sim/calls                 forget the recorded requests",
  'POST   /__sim/activities            {"count":3,"manual":false}: new newest activities',
  "POST   /__sim/expire-tokens         every issued access token answers 401 from now on",
  "POST   /__sim/revoke-refresh-tokens every issued refresh/OAuth1 token is refused from now on",
  "GET    /__sim/counters              login, MFA, token exchange and refresh counters",
];

/** True when the path belongs to the control API. */
export function isControlPath(path: string): boolean {
  return path === CONTROL_PREFIX || path.startsWith(`${CONTROL_PREFIX}/`);
}

/** True for a loopback peer address: 127.0.0.0/8, ::1, or either mapped into IPv6. */
export function isLoopbackAddress(address: string | undefined): boolean {
  if (!address) return false;
  const a = address.toLowerCase().replace(/^::ffff:/, "");
  if (/^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a)) return true;
  return a === "::1" || a === "0:0:0:0:0:0:0:1";
}

/** True for a Host header naming loopback (or absent), so a DNS-rebound name cannot reach the control API. */
export function isLoopbackHost(host: string | undefined): boolean {
  if (host === undefined || host === "") return true;
  const name = host.startsWith("[") ? host.slice(1, host.indexOf("]")) : host.replace(/:\d+$/, "");
  return name.toLowerCase() === "localhost" || isLoopbackAddress(name);
}

/**
 * Why a control request is refused, or null when it may proceed: only from a loopback address, with a loopback
 * Host, and not from a web page (browsers send Origin; curl and scripts do not).
 */
export function controlRefusal(
  remoteAddress: string | undefined,
  headers: { host?: string; origin?: string | string[] },
): string | null {
  if (!isLoopbackAddress(remoteAddress)) return "the control API answers loopback clients only";
  if (!isLoopbackHost(headers.host)) return "the control API answers requests for a loopback host only";
  if (headers.origin !== undefined) return "the control API does not answer requests from web pages";
  return null;
}

/** A control request, already read off the wire. */
export interface ControlRequest {
  method: string;
  path: string;
  query: URLSearchParams;
  body: Uint8Array;
}

/** The answer: a status and a JSON body. */
export interface ControlReply {
  status: number;
  body: unknown;
}

const SpecBody = z.strictObject({ spec: z.string() });
// Kind and field combinations are checked by faultFromInput, whose messages name the known kinds.
const FieldsBody = z.strictObject({
  kind: z.string(),
  match: z.string().optional(),
  times: z.union([z.number().int().positive(), z.literal("*")]).optional(),
  status: z.number().int().optional(),
  body: z.string().optional(),
  headers: z.record(z.string(), z.string()).optional(),
  retryAfter: z.union([z.number().int().nonnegative(), z.string()]).optional(),
  delayMs: z.number().int().nonnegative().optional(),
});

const ActivitiesBody = z.strictObject({
  count: z.number().int().min(1).max(1000),
  manual: z.boolean().optional(),
});

function error(status: number, message: string, extra: Record<string, unknown> = {}): ControlReply {
  return { status, body: { error: message, ...extra } };
}

function readBody(req: ControlRequest): { ok: true; value: unknown } | { ok: false; reply: ControlReply } {
  const text = new TextDecoder().decode(req.body).trim();
  if (text === "") return { ok: true, value: undefined };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false, reply: error(400, "the body is not JSON") };
  }
}

function describe(fault: Fault, left: number): Record<string, unknown> {
  const { match, times: _times, ...rest } = fault;
  return {
    spec: formatFaultSpec(fault, left),
    ...rest,
    match: matchSource(match),
    left: left === Infinity ? "*" : left,
  };
}

function issues(err: z.ZodError): string {
  return err.issues.map((i) => `${i.path.join(".") || "body"}: ${i.message}`).join("; ");
}

function addFault(sim: Simulator, value: unknown): ControlReply {
  const bySpec = typeof value === "object" && value !== null && "spec" in value;
  const parsed = bySpec ? SpecBody.safeParse(value) : FieldsBody.safeParse(value);
  if (!parsed.success) {
    return error(400, `bad fault: ${issues(parsed.error)}`, { syntax: FAULT_SPEC_HELP.split("\n") });
  }
  let fault: Fault;
  try {
    fault = "spec" in parsed.data ? parseFaultSpec(parsed.data.spec) : faultFromInput(parsed.data);
  } catch (err) {
    if (err instanceof FaultSpecError) {
      return error(400, `bad fault: ${err.message}`, { syntax: FAULT_SPEC_HELP.split("\n") });
    }
    throw err;
  }
  sim.fault(fault);
  return { status: 201, body: describe(fault, fault.times ?? 1) };
}

/** Answers one control request against the running simulator. */
export function controlReply(sim: Simulator, req: ControlRequest): ControlReply {
  const path = req.path.replace(/\/+$/, "");
  const body = readBody(req);
  if (!body.ok) return body.reply;
  const allow = (...methods: string[]) =>
    methods.includes(req.method) || (req.method === "HEAD" && methods.includes("GET"))
      ? null
      : error(405, `${req.method} is not allowed on ${path}; use ${methods.join(" or ")}`);
  switch (path) {
    case CONTROL_PREFIX:
      return allow("GET") ??
        { status: 200, body: { endpoints: CONTROL_ENDPOINTS, faults: FAULT_SPEC_HELP.split("\n") } };
    case `${CONTROL_PREFIX}/faults`: {
      const refused = allow("GET", "POST", "DELETE");
      if (refused) return refused;
      if (req.method === "POST") return addFault(sim, body.value);
      if (req.method === "DELETE") {
        const cleared = sim.queuedFaults().length;
        sim.clearFaults();
        return { status: 200, body: { cleared } };
      }
      return { status: 200, body: { faults: sim.queuedFaults().map((q) => describe(q.fault, q.left)) } };
    }
    case `${CONTROL_PREFIX}/calls`: {
      const refused = allow("GET", "DELETE");
      if (refused) return refused;
      if (req.method === "DELETE") {
        const cleared = sim.calls().length;
        sim.resetCalls();
        return { status: 200, body: { cleared } };
      }
      const source = req.query.get("match");
      let match: RegExp | undefined;
      try {
        match = source ? new RegExp(source) : undefined;
      } catch (err) {
        return error(400, `bad match regex: ${(err as Error).message}`);
      }
      return { status: 200, body: { calls: sim.calls(match) } };
    }
    case `${CONTROL_PREFIX}/activities`: {
      const refused = allow("POST");
      if (refused) return refused;
      const parsed = ActivitiesBody.safeParse(body.value ?? {});
      if (!parsed.success) return error(400, `bad activities request: ${issues(parsed.error)}`);
      const added = sim.addActivities(parsed.data.count, { manual: parsed.data.manual });
      return {
        status: 201,
        body: {
          added: added.map((a) => ({
            activityId: a.activityId,
            manual: a.manual,
            activityName: a.summary.activityName,
            startTimeLocal: a.summary.startTimeLocal,
          })),
          total: sim.activities.length,
        },
      };
    }
    case `${CONTROL_PREFIX}/expire-tokens`:
      return allow("POST") ?? (sim.expireAccessTokens(), { status: 200, body: { expired: true } });
    case `${CONTROL_PREFIX}/revoke-refresh-tokens`:
      return allow("POST") ?? (sim.revokeRefreshTokens(), { status: 200, body: { revoked: true } });
    case `${CONTROL_PREFIX}/counters`:
      return allow("GET") ?? { status: 200, body: sim.counters() };
    default:
      return error(404, `no control endpoint ${req.method} ${req.path}`, { endpoints: CONTROL_ENDPOINTS });
  }
}
