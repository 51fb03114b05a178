/**
 * Fault specs for the standalone simulator: the `--fault` flag of `sim/main.ts` and the control API's
 * `POST /__sim/faults` build the same `Fault` values that tests queue in-process with `sim.fault()`.
 *
 * Spec syntax: `kind[:arg][@pathRegex][xN|x*]`, e.g. `rate_limit:30@/download-service/x3`.
 */
import type { Fault } from "./server.ts";

/** Every fault kind the simulator knows, in the order the help lists them. */
export const FAULT_KINDS = [
  "status",
  "rate_limit",
  "drop",
  "truncate",
  "slow",
  "cloudflare",
  "captcha",
  "json_429",
  "html",
  "corrupt_zip",
  "not_fit",
  "bad_fit_crc",
] as const satisfies readonly Fault["kind"][];

/** One of `FAULT_KINDS`. */
export type FaultKind = typeof FAULT_KINDS[number];

// Fails to type-check when server.ts gains a fault kind that is missing above.
const _everyKindListed: [Exclude<Fault["kind"], FaultKind>] extends [never] ? true : never = true;

/**
 * Where a fault applies when no `@pathRegex` is given. Download faults only mean something on a download and
 * CAPTCHA only on a login, so they default there instead of being spent on the first unrelated request.
 */
const DEFAULT_MATCH: Partial<Record<FaultKind, string>> = {
  corrupt_zip: "/download-service/",
  not_fit: "/download-service/",
  bad_fit_crc: "/download-service/",
  captcha: "/api/login",
};

/** What each kind does and what its `:arg` means, for `--help` and error messages. */
export const FAULT_KIND_HELP: Record<FaultKind, string> = {
  status: "answer HTTP status :CODE (default 500) with an empty text body",
  rate_limit: "answer 429 (Cloudflare page); :ARG is the Retry-After value (seconds or an HTTP date), none if omitted",
  drop: "close the connection without an answer",
  truncate: "send the full Content-Length but cut the body half way",
  slow: "wait :MS milliseconds (default 5000) before answering",
  cloudflare: "answer 403 with a Cloudflare challenge page (cf-mitigated: challenge)",
  captcha: "login answers 200 CAPTCHA_REQUIRED (default path /api/login)",
  json_429: 'answer 200 with {"error":{"status-code":"429",...}}',
  html: "answer 200 with an HTML page where JSON is expected",
  corrupt_zip: "download answers a ZIP that does not unzip (default path /download-service/)",
  not_fit: "download answers a ZIP whose file is not FIT (default path /download-service/)",
  bad_fit_crc: "download answers a FIT file with a wrong CRC (default path /download-service/)",
};

/** The syntax, the kinds and examples: printed by `--help` and after a bad spec. */
export const FAULT_SPEC_HELP = `Fault spec: kind[:arg][@pathRegex][xN|x*]
  kind       one of the kinds below
  :arg       status code, Retry-After or delay, for the kinds that take one
  @pathRegex JavaScript regular expression tested against the request's path and query
             (default: every request, except where a kind says otherwise)
  xN | x*    apply to the next N matching requests (default 1), or to all of them (x*);
             a trailing xN or x* is always read as the count, never as part of the regex
Kinds:
${FAULT_KINDS.map((k) => `  ${k.padEnd(12)} ${FAULT_KIND_HELP[k]}`).join("\n")}
Examples:
  rate_limit:30@/download-service/x3   429 with Retry-After: 30 on the next three downloads
  status:503@/activitylist-service     one 503 on the activity list
  drop@/download-service/x*            every download loses its connection until faults are cleared
  slow:5000@/download-service/         one download waits five seconds
  cloudflare@/mobile/api/login         the next mobile login is blocked by a challenge page`;

/** A bad fault spec or fault JSON; the message says what is wrong. */
export class FaultSpecError extends Error {
  override name = "FaultSpecError";
}

/** The fields of a fault as the control API takes them (`POST /__sim/faults`). */
export interface FaultInput {
  kind: string;
  /** A regular expression source tested against path+query; default as for a spec without `@`. */
  match?: string;
  /** A positive integer, or "*" for every matching request; default 1. */
  times?: number | string;
  status?: number;
  body?: string;
  headers?: Record<string, string>;
  retryAfter?: number | string;
  delayMs?: number;
}

function isKind(kind: string): kind is FaultKind {
  return (FAULT_KINDS as readonly string[]).includes(kind);
}

function regex(source: string): RegExp {
  try {
    return new RegExp(source);
  } catch (err) {
    throw new FaultSpecError(`bad path regex "${source}": ${(err as Error).message}`);
  }
}

function times(value: number | string | undefined): number {
  if (value === undefined) return 1;
  if (value === "*") return Infinity;
  const n = typeof value === "number" ? value : /^\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n) || n < 1) {
    throw new FaultSpecError(`times must be a positive integer or "*", got ${JSON.stringify(value)}`);
  }
  return n;
}

function intArg(kind: string, what: string, raw: string | number, min: number, max: number): number {
  const n = typeof raw === "number" ? raw : /^\d+$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new FaultSpecError(`${kind} takes ${what} from ${min} to ${max}, got ${JSON.stringify(raw)}`);
  }
  return n;
}

function retryAfter(raw: string | number): number | string {
  if (typeof raw === "number" || /^\d+$/.test(raw)) return intArg("rate_limit", "Retry-After seconds", raw, 0, 86_400);
  if (Number.isNaN(Date.parse(raw))) {
    throw new FaultSpecError(`rate_limit takes Retry-After as seconds or an HTTP date, got ${JSON.stringify(raw)}`);
  }
  return raw;
}

/** Builds a Fault from control-API fields, checking each; throws FaultSpecError naming the bad field. */
export function faultFromInput(input: FaultInput): Fault {
  const kind = input.kind;
  if (!isKind(kind)) throw new FaultSpecError(`unknown fault kind "${kind}"; known: ${FAULT_KINDS.join(", ")}`);
  const base = {
    match: regex(input.match ?? DEFAULT_MATCH[kind] ?? ""),
    times: times(input.times),
  };
  const extra = (["status", "body", "headers", "retryAfter", "delayMs"] as const).filter((f) => input[f] !== undefined);
  const allowed: Partial<Record<FaultKind, string[]>> = {
    status: ["status", "body", "headers"],
    rate_limit: ["retryAfter"],
    slow: ["delayMs"],
  };
  const wrong = extra.filter((f) => !(allowed[kind] ?? []).includes(f));
  if (wrong.length) throw new FaultSpecError(`${kind} takes no ${wrong.join(", ")}`);
  switch (kind) {
    case "status":
      return {
        ...base,
        kind,
        status: intArg("status", "an HTTP status", input.status ?? 500, 100, 599),
        ...(input.body !== undefined ? { body: input.body } : {}),
        ...(input.headers !== undefined ? { headers: input.headers } : {}),
      };
    case "rate_limit":
      return input.retryAfter === undefined
        ? { ...base, kind }
        : { ...base, kind, retryAfter: retryAfter(input.retryAfter) };
    case "slow":
      return { ...base, kind, delayMs: intArg("slow", "a delay in ms", input.delayMs ?? 5000, 0, 600_000) };
    default:
      return { ...base, kind };
  }
}

/** Parses `kind[:arg][@pathRegex][xN|x*]` into a Fault; throws FaultSpecError saying what is wrong. */
export function parseFaultSpec(spec: string): Fault {
  let rest = spec.trim();
  if (rest === "") throw new FaultSpecError("empty fault spec");
  let count: string | undefined;
  const countMatch = /x(\d+|\*)$/.exec(rest);
  // Only a count when it follows the kind/arg or a regex; "x3" alone is a (bad) kind.
  if (countMatch && countMatch.index > 0) {
    count = countMatch[1];
    rest = rest.slice(0, countMatch.index);
  }
  const at = rest.indexOf("@");
  const head = at < 0 ? rest : rest.slice(0, at);
  const match = at < 0 ? undefined : rest.slice(at + 1);
  const colon = head.indexOf(":");
  const kind = colon < 0 ? head : head.slice(0, colon);
  const arg = colon < 0 ? undefined : head.slice(colon + 1);
  if (!isKind(kind)) throw new FaultSpecError(`unknown fault kind "${kind}" in "${spec}"`);
  if (arg === "") throw new FaultSpecError(`empty :arg in "${spec}"`);
  const input: FaultInput = { kind, match, times: count };
  if (arg !== undefined) {
    if (kind === "status") input.status = intArg("status", "an HTTP status", arg, 100, 599);
    else if (kind === "rate_limit") input.retryAfter = arg;
    else if (kind === "slow") input.delayMs = intArg("slow", "a delay in ms", arg, 0, 600_000);
    else throw new FaultSpecError(`${kind} takes no :arg (in "${spec}")`);
  }
  try {
    return faultFromInput(input);
  } catch (err) {
    if (err instanceof FaultSpecError) throw new FaultSpecError(`${err.message} (in "${spec}")`);
    throw err;
  }
}

/** The path regex of a fault as a person writes it: "" for "every request", `/` unescaped. */
export function matchSource(match: string | RegExp): string {
  const source = typeof match === "string" ? match.replace(/[.*+?^${}()|[\]\\]/g, "\\$&") : match.source;
  return source === "(?:)" ? "" : source.replace(/\\(.)/g, (escape, c) => c === "/" ? "/" : escape);
}

/** The spec of a fault with `left` uses to go (Infinity for x*); a status fault's body and headers are left out. */
export function formatFaultSpec(fault: Fault, left: number): string {
  const arg = fault.kind === "status"
    ? `:${fault.status}`
    : fault.kind === "rate_limit" && fault.retryAfter !== undefined
    ? `:${fault.retryAfter}`
    : fault.kind === "slow"
    ? `:${fault.delayMs}`
    : "";
  const source = matchSource(fault.match);
  return `${fault.kind}${arg}${source === "" ? "" : `@${source}`}x${left === Infinity ? "*" : left}`;
}
