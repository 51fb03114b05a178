import { deepStrictEqual as assertEquals, ok as assert, throws as assertThrows } from "node:assert/strict";
import { CrcCalculator, Decoder, Encoder, type Mesg, Profile, Stream } from "@garmin/fitsdk";
import { zipSync } from "fflate";
import { extractFit, fitCrc, fitProblem } from "../sync/fit.ts";
import { activityFileName, removeStaleTemps, sha256Hex, writeFileAtomic } from "../sync/files.ts";
import { GarminBadResponse, StorageError } from "../lib/errors.ts";

function buildFit(records = 20): Uint8Array {
  const encoder = new Encoder();
  const t0 = new Date(Date.UTC(2024, 4, 1, 7, 0, 0));
  encoder.onMesg(
    Profile.MesgNum.FILE_ID,
    { type: "activity", manufacturer: "garmin", product: 3113, timeCreated: t0 } as Mesg,
  );
  for (let i = 0; i < records; i++) {
    encoder.onMesg(
      Profile.MesgNum.RECORD,
      { timestamp: new Date(t0.getTime() + i * 1000), heartRate: 120 + i, distance: i * 3 } as Mesg,
    );
  }
  return encoder.close();
}

function isGarminBad(re: RegExp) {
  return (e: unknown) => e instanceof GarminBadResponse && re.test(e.message);
}

Deno.test("[fit] a ZIP holding {id}_ACTIVITY.fit yields the verified FIT bytes", () => {
  const fit = buildFit();
  const zip = zipSync({ "123_ACTIVITY.fit": fit });
  const out = extractFit(zip, 123);
  assertEquals(out, fit);
  const decoder = new Decoder(Stream.fromByteArray(out));
  assert(decoder.isFIT());
  assert(decoder.checkIntegrity());
  assertEquals(fitProblem(fit), null);
});

Deno.test("[fit] our CRC-16 agrees with the SDK's CrcCalculator", () => {
  const fit = buildFit(5);
  assertEquals(fitCrc(fit, 0, fit.length - 2), CrcCalculator.calculateCRC(fit, 0, fit.length - 2));
});

Deno.test("[fit] a bare FIT body (no ZIP) is accepted when it verifies", () => {
  const fit = buildFit(3);
  assertEquals(extractFit(fit, 7), fit);
});

Deno.test("[fit] a corrupt ZIP fails with a message naming the activity", () => {
  const zip = zipSync({ "9_ACTIVITY.fit": buildFit() });
  const broken = zip.slice(0, Math.floor(zip.length / 2));
  assertThrows(() => extractFit(broken, 9), isGarminBad(/download for activity 9 is not a valid ZIP/));
  assertThrows(() => extractFit(new TextEncoder().encode("<html>oops</html>"), 9), isGarminBad(/not a valid ZIP/));
});

Deno.test("[fit] a ZIP without a .fit entry, or a .fit entry that is not FIT, fails clearly", () => {
  const noFit = zipSync({ "readme.txt": new TextEncoder().encode("hello") });
  assertThrows(() => extractFit(noFit, 5), isGarminBad(/holds no \.fit file \(entries: readme\.txt\)/));
  const fake = zipSync({ "5_ACTIVITY.fit": new TextEncoder().encode("this is not a FIT file at all") });
  assertThrows(
    () => extractFit(fake, 5),
    isGarminBad(/5_ACTIVITY\.fit in the download for activity 5 is not a valid FIT/),
  );
});

Deno.test("[fit] a flipped byte fails the file CRC; a damaged header fails the header CRC", () => {
  const fit = buildFit();
  const bad = fit.slice();
  bad[bad.length - 10] ^= 0xFF;
  assertThrows(() => extractFit(zipSync({ "1_ACTIVITY.fit": bad }), 1), isGarminBad(/file CRC does not match/));
  if (fit[0] === 14 && (fit[12] | (fit[13] << 8)) !== 0) {
    const badHeader = fit.slice();
    badHeader[3] ^= 0x01; // profile version byte: covered by the header CRC only
    assertThrows(() => extractFit(badHeader, 1), isGarminBad(/header CRC/));
  }
});

Deno.test("[fit] a FIT file cut short fails with the sizes", () => {
  const fit = buildFit();
  const cut = fit.slice(0, fit.length - 40);
  assert(/cut short/.test(fitProblem(cut) ?? ""));
  assertThrows(() => extractFit(zipSync({ "2_ACTIVITY.fit": cut }), 2), isGarminBad(/cut short/));
  assert(/too short/.test(fitProblem(new Uint8Array(5)) ?? ""));
});

Deno.test("[files] activity file names follow the contract", () => {
  assertEquals(activityFileName(182325896, "2012-05-26 23:37:18"), "activity_182325896_2012-05-26_23-37-18.fit");
  assertEquals(activityFileName(1, "../../etc 00:00:00"), "activity_1_....etc_00-00-00.fit");
});

Deno.test("[files] writeFileAtomic writes the whole file under the final name and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const data = buildFit(200);
    await writeFileAtomic(dir, "activity_1_x.fit", data);
    assertEquals(await Deno.readFile(`${dir}/activity_1_x.fit`), data);
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    assertEquals(names, ["activity_1_x.fit"]);
    // Overwriting replaces the file whole.
    await writeFileAtomic(dir, "activity_1_x.fit", data.subarray(0, 10));
    assertEquals((await Deno.stat(`${dir}/activity_1_x.fit`)).size, 10);
    assertEquals((await sha256Hex(new TextEncoder().encode("abc"))).slice(0, 16), "ba7816bf8f01cfea");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("[files] a write into a folder that cannot be written fails with StorageError and no file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await assertRejects(() => writeFileAtomic(`${dir}/missing/sub`, "activity_2_y.fit", new Uint8Array(3)));
    assertEquals([...Deno.readDirSync(dir)].length, 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

async function assertRejects(fn: () => Promise<unknown>) {
  let err: unknown;
  try {
    await fn();
  } catch (e) {
    err = e;
  }
  assert(err instanceof StorageError, `expected StorageError, got ${err}`);
  assert(/GARMINSYNC_DATA_DIR/.test(err.message));
}

Deno.test("[files] removeStaleTemps removes a killed run's temp files and nothing else", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeFile(`${dir}/.activity_5_2024-01-01_00-00-00.fit.tmp-abc123`, new Uint8Array(4));
    await Deno.writeFile(`${dir}/activity_5_2024-01-01_00-00-00.fit`, new Uint8Array(4));
    await Deno.writeFile(`${dir}/garmin.db`, new Uint8Array(4));
    assertEquals(await removeStaleTemps(dir), 1);
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "activity_5_2024-01-01_00-00-00.fit",
      "garmin.db",
    ]);
    assertEquals(await removeStaleTemps(`${dir}/nope`), 0);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
