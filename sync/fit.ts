/**
 * Taking the FIT file out of Garmin's original-download ZIP and checking it is a whole FIT file (header, sizes,
 * header CRC, file CRC) before anything is written under a final name.
 */
import { unzipSync } from "fflate";
import { GarminBadResponse } from "../lib/errors.ts";

// FIT's CRC-16 nibble table (FIT protocol, "CRC" section).
const CRC_TABLE = [
  0x0000,
  0xCC01,
  0xD801,
  0x1400,
  0xF001,
  0x3C00,
  0x2800,
  0xE401,
  0xA001,
  0x6C00,
  0x7800,
  0xB401,
  0x5000,
  0x9C01,
  0x8801,
  0x4400,
];

/** FIT CRC-16 of `bytes[start, end)`. */
export function fitCrc(bytes: Uint8Array, start = 0, end = bytes.length): number {
  let crc = 0;
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    let tmp = CRC_TABLE[crc & 0xF];
    crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ CRC_TABLE[b & 0xF];
    tmp = CRC_TABLE[crc & 0xF];
    crc = ((crc >> 4) & 0x0FFF) ^ tmp ^ CRC_TABLE[(b >> 4) & 0xF];
  }
  return crc;
}

function hasFitSignature(bytes: Uint8Array, at = 0): boolean {
  return bytes.length >= at + 12 && bytes[at + 8] === 0x2E && bytes[at + 9] === 0x46 && bytes[at + 10] === 0x49 &&
    bytes[at + 11] === 0x54;
}

/**
 * Why `bytes` is not a whole FIT file, or null when it is. Checks each FIT file of a chained file: header size
 * 12 or 14, the ".FIT" signature, the header CRC when present, that the data size fits, and the file CRC.
 */
export function fitProblem(bytes: Uint8Array): string | null {
  if (bytes.length < 14) return `it is ${bytes.length} bytes long, too short for a FIT file`;
  let at = 0;
  while (at < bytes.length) {
    const headerSize = bytes[at];
    if (headerSize !== 12 && headerSize !== 14) return `the FIT header size is ${headerSize}, not 12 or 14`;
    if (!hasFitSignature(bytes, at)) return `the ".FIT" signature is missing at byte ${at + 8}`;
    const view = new DataView(bytes.buffer, bytes.byteOffset + at, Math.min(14, bytes.length - at));
    const dataSize = view.getUint32(4, true);
    if (headerSize === 14) {
      const headerCrc = view.getUint16(12, true);
      if (headerCrc !== 0 && headerCrc !== fitCrc(bytes, at, at + 12)) return "the FIT header CRC does not match";
    }
    const end = at + headerSize + dataSize + 2;
    if (end > bytes.length) {
      return `the FIT header announces ${dataSize} data bytes but only ${
        Math.max(0, bytes.length - at - headerSize - 2)
      } are there (the file is cut short)`;
    }
    const fileCrc = bytes[end - 2] | (bytes[end - 1] << 8);
    if (fileCrc !== fitCrc(bytes, at, end - 2)) return "the FIT file CRC does not match (the file is damaged)";
    at = end;
    // Trailing zero padding after the last file is harmless; anything else must be another chained FIT file.
    if (at < bytes.length && bytes.subarray(at).every((b) => b === 0)) break;
  }
  return null;
}

/**
 * Returns the verified FIT bytes inside Garmin's original-download ZIP (the `*.fit` entry). A body that already is
 * a FIT file is accepted as is. Throws GarminBadResponse naming the activity when the ZIP is corrupt, holds no FIT
 * entry, or the FIT file fails its checks.
 */
export function extractFit(download: Uint8Array, activityId: number): Uint8Array {
  if (hasFitSignature(download) && (download[0] === 12 || download[0] === 14)) {
    return verified(download, activityId, "the downloaded file");
  }
  let entries: Record<string, Uint8Array>;
  try {
    entries = unzipSync(download);
  } catch (e) {
    throw new GarminBadResponse(
      `the download for activity ${activityId} is not a valid ZIP (${e instanceof Error ? e.message : e}); ` +
        `it was not saved and will be retried on the next download run`,
    );
  }
  const names = Object.keys(entries);
  const fitName = names.find((n) => n.toLowerCase().endsWith(".fit") && !n.endsWith("/"));
  if (!fitName) {
    throw new GarminBadResponse(
      `the download for activity ${activityId} holds no .fit file (entries: ${names.join(", ") || "none"}); ` +
        `it was not saved and will be retried on the next download run`,
    );
  }
  return verified(entries[fitName], activityId, `${fitName} in the download`);
}

function verified(bytes: Uint8Array, activityId: number, what: string): Uint8Array {
  const problem = fitProblem(bytes);
  if (problem) {
    throw new GarminBadResponse(
      `${what} for activity ${activityId} is not a valid FIT file: ${problem}; ` +
        `it was not saved and will be retried on the next download run`,
    );
  }
  return bytes;
}
