/**
 * The assertions every test uses, on node:assert (JSR's @std/assert is not reachable from these machines).
 * Failure messages show a slice of the text searched, so a failing check says what it saw.
 */
import { AssertionError, deepStrictEqual, notDeepStrictEqual } from "node:assert/strict";

function fail(message: string | undefined, fallback: string): never {
  throw new AssertionError({ message: message ? `${message}: ${fallback}` : fallback });
}

function excerpt(text: string): string {
  return text.length > 1500 ? `${text.slice(0, 1500)}… (${text.length} chars)` : text;
}

/** Fails unless `value` is truthy. */
export function assert(value: unknown, message?: string): asserts value {
  if (!value) fail(message, `expected a truthy value, got ${String(value)}`);
}

/** Deep strict equality. */
export function assertEquals<T>(actual: unknown, expected: T, message?: string): asserts actual is T {
  if (message === undefined) deepStrictEqual(actual, expected);
  else deepStrictEqual(actual, expected, message);
}

/** Deep strict inequality. */
export function assertNotEquals(actual: unknown, expected: unknown, message?: string): void {
  if (message === undefined) notDeepStrictEqual(actual, expected);
  else notDeepStrictEqual(actual, expected, message);
}

/** `text` matches `re`. */
export function assertMatch(text: string, re: RegExp, message?: string): void {
  if (!re.test(text)) fail(message, `expected to match ${re}\n--- in ---\n${excerpt(text)}`);
}

/** `text` does not match `re`. */
export function assertNotMatch(text: string, re: RegExp, message?: string): void {
  const m = text.match(re);
  if (m) fail(message, `expected no match for ${re}, found ${JSON.stringify(m[0])}`);
}

/** `text` contains `part`. */
export function assertStringIncludes(text: string, part: string, message?: string): void {
  if (!text.includes(part)) fail(message, `expected to contain ${JSON.stringify(part)}\n--- in ---\n${excerpt(text)}`);
}

/** `a >= b`. */
export function assertGreaterOrEqual(a: number, b: number, message?: string): void {
  if (!(a >= b)) fail(message, `expected ${a} >= ${b}`);
}

/** The function throws an instance of `cls` (whose message includes `includes`, when given); returns the error. */
export function assertThrows<T extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  cls: abstract new (...args: any[]) => T,
  includes?: string,
): T {
  try {
    fn();
  } catch (e) {
    if (!(e instanceof cls)) {
      fail(undefined, `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
    }
    if (includes !== undefined) assertStringIncludes(e.message, includes);
    return e;
  }
  return fail(undefined, `expected ${cls.name} to be thrown`);
}

/** The promise (or function's promise) rejects with an instance of `cls`; returns the error. */
export async function assertRejects<T extends Error>(
  fn: Promise<unknown> | (() => Promise<unknown>),
  // deno-lint-ignore no-explicit-any
  cls: abstract new (...args: any[]) => T,
  includes?: string,
): Promise<T> {
  try {
    await (typeof fn === "function" ? fn() : fn);
  } catch (e) {
    if (!(e instanceof cls)) {
      fail(undefined, `expected ${cls.name}, got ${e instanceof Error ? `${e.name}: ${e.message}` : e}`);
    }
    if (includes !== undefined) assertStringIncludes(e.message, includes);
    return e;
  }
  return fail(undefined, `expected a rejection with ${cls.name}, but it resolved`);
}
