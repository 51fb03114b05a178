/**
 * FIT activity files for the simulator's original downloads, and the ZIP Garmin wraps them in.
 *
 * `@garmin/fitsdk`'s Encoder takes a few milliseconds per file, which would make a 2,000-activity benchmark measure the
 * simulator instead of GarminSync. So the Encoder writes one template per (sport, record count), and each activity's
 * file is a copy of that template whose field values are rewritten in place (times, heart rate, distance, position),
 * followed by a new file CRC. The bytes therefore keep the exact layout the official Encoder produced.
 */
import { CrcCalculator, Encoder, type Mesg, Profile, Utils } from "@garmin/fitsdk";
import { zipSync } from "fflate";

/** What one generated FIT file describes. */
export interface FitActivity {
  activityId: number;
  start: Date;
  durationSec: number;
  distanceM: number;
  calories: number;
  avgHr: number;
  maxHr: number;
  /** FIT sport name, e.g. "running", "cycling", "walking", "hiking", "swimming", "training". */
  sport: string;
  startLat: number | null;
  startLon: number | null;
}

/** Where a field sits inside one data message of a template. */
interface FieldSlot {
  offset: number;
  size: number;
}

/** One data message of a template: its global message number, ordinal among its kind, and field slots by name. */
interface DataMessage {
  mesgNum: number;
  ordinal: number;
  fields: Map<string, FieldSlot>;
}

/** A template FIT file and the map of its data messages. */
interface Template {
  bytes: Uint8Array;
  messages: DataMessage[];
  littleEndian: Map<number, boolean>;
  records: number;
}

/** Template cache owned by one simulator instance (no module state). */
export type FitTemplates = Map<string, Template>;

const FIT_EPOCH_SEC = Utils.FIT_EPOCH_MS / 1000;
const SEMICIRCLES_PER_DEGREE = 2 ** 31 / 180;

function fitTime(date: Date | number): number {
  const ms = typeof date === "number" ? date : date.getTime();
  return Math.floor(ms / 1000) - FIT_EPOCH_SEC;
}

function outdoor(sport: string): boolean {
  return sport !== "training" && sport !== "swimming";
}

/** The SDK types each message kind; the template builds plain objects by field name, checked by the Encoder at run time. */
function mesg(fields: Record<string, unknown>): Mesg {
  return fields as Mesg;
}

/** Encodes a template with the official Encoder; values are placeholders that `renderFit` overwrites. */
function encodeTemplate(sport: string, records: number): Template {
  const encoder = new Encoder();
  const t0 = new Date(Date.UTC(2020, 0, 1));
  const at = (sec: number) => new Date(t0.getTime() + sec * 1000);
  const gps = outdoor(sport);
  encoder.onMesg(
    Profile.MesgNum.FILE_ID,
    mesg({
      type: "activity",
      manufacturer: "garmin",
      product: 3113,
      serialNumber: 3900000001,
      timeCreated: t0,
    }),
  );
  encoder.onMesg(Profile.MesgNum.EVENT, mesg({ timestamp: t0, event: "timer", eventType: "start", eventGroup: 0 }));
  for (let i = 0; i < records; i++) {
    const record: Record<string, unknown> = { timestamp: at(i), heartRate: 120, distance: i, speed: 2.5 };
    if (gps) Object.assign(record, { positionLat: 1, positionLong: 1, altitude: 100, cadence: 80 });
    encoder.onMesg(Profile.MesgNum.RECORD, mesg(record));
  }
  const end = at(records);
  encoder.onMesg(Profile.MesgNum.EVENT, mesg({ timestamp: end, event: "timer", eventType: "stopAll", eventGroup: 0 }));
  const totals = {
    timestamp: end,
    startTime: t0,
    totalElapsedTime: records,
    totalTimerTime: records,
    totalDistance: records,
    totalCalories: 1,
    avgHeartRate: 1,
    maxHeartRate: 1,
    sport,
  };
  encoder.onMesg(Profile.MesgNum.LAP, mesg({ messageIndex: 0, event: "lap", eventType: "stop", ...totals }));
  encoder.onMesg(
    Profile.MesgNum.SESSION,
    mesg({ messageIndex: 0, event: "session", eventType: "stop", firstLapIndex: 0, numLaps: 1, ...totals }),
  );
  encoder.onMesg(
    Profile.MesgNum.ACTIVITY,
    mesg({
      timestamp: end,
      totalTimerTime: records,
      numSessions: 1,
      type: "manual",
      event: "activity",
      eventType: "stop",
      localTimestamp: fitTime(end),
    }),
  );
  const bytes = encoder.close();
  return { ...mapMessages(bytes), bytes, records };
}

/** Walks a FIT file's records and notes where every field of every data message sits. */
function mapMessages(bytes: Uint8Array): { messages: DataMessage[]; littleEndian: Map<number, boolean> } {
  const headerSize = bytes[0];
  const dataSize = bytes[4] | (bytes[5] << 8) | (bytes[6] << 16) | (bytes[7] << 24);
  const end = headerSize + dataSize;
  const definitions = new Map<number, { mesgNum: number; size: number; fields: Map<string, FieldSlot> }>();
  const littleEndian = new Map<number, boolean>();
  const ordinals = new Map<number, number>();
  const messages: DataMessage[] = [];
  let pos = headerSize;
  while (pos < end) {
    const header = bytes[pos++];
    const local = header & 0x0f;
    if (header & 0x80) throw new Error("compressed-timestamp headers are not expected in a template");
    if (header & 0x40) {
      const little = bytes[pos + 1] === 0;
      const mesgNum = little ? bytes[pos + 2] | (bytes[pos + 3] << 8) : (bytes[pos + 2] << 8) | bytes[pos + 3];
      const count = bytes[pos + 4];
      pos += 5;
      const profile = (Profile.messages as Record<number, { fields: Record<number, { name: string }> }>)[mesgNum];
      const fields = new Map<string, FieldSlot>();
      let offset = 0;
      for (let i = 0; i < count; i++) {
        const num = bytes[pos], size = bytes[pos + 1];
        const name = num === 253 ? "timestamp" : profile?.fields[num]?.name ?? `field${num}`;
        fields.set(name, { offset, size });
        offset += size;
        pos += 3;
      }
      if (header & 0x20) {
        const devCount = bytes[pos++];
        for (let i = 0; i < devCount; i++) offset += bytes[pos + i * 3 + 1];
        pos += devCount * 3;
      }
      definitions.set(local, { mesgNum, size: offset, fields });
      littleEndian.set(mesgNum, little);
    } else {
      const def = definitions.get(local);
      if (!def) throw new Error(`data message before its definition (local ${local})`);
      const ordinal = ordinals.get(def.mesgNum) ?? 0;
      ordinals.set(def.mesgNum, ordinal + 1);
      const fields = new Map<string, FieldSlot>();
      for (const [name, slot] of def.fields) fields.set(name, { offset: pos + slot.offset, size: slot.size });
      messages.push({ mesgNum: def.mesgNum, ordinal, fields });
      pos += def.size;
    }
  }
  return { messages, littleEndian };
}

function writeInt(view: DataView, slot: FieldSlot | undefined, value: number, little: boolean): void {
  if (!slot) return;
  const v = Math.round(value);
  if (slot.size === 1) view.setUint8(slot.offset, v & 0xff);
  else if (slot.size === 2) view.setUint16(slot.offset, v & 0xffff, little);
  else if (slot.size === 4) view.setUint32(slot.offset, v >>> 0, little);
}

/** Deterministic small wobble in [-1, 1] so heart rate and speed look alive without a PRNG per file. */
function wobble(activityId: number, i: number): number {
  return Math.sin(i * 0.37 + (activityId % 97)) * 0.6 + Math.sin(i * 1.91 + (activityId % 13)) * 0.4;
}

/** The FIT bytes of one activity (valid header and CRC). */
export function renderFit(templates: FitTemplates, activity: FitActivity, records: number): Uint8Array {
  const n = Math.max(2, Math.floor(records));
  const key = `${activity.sport}:${n}`;
  let template = templates.get(key);
  if (!template) {
    template = encodeTemplate(activity.sport, n);
    templates.set(key, template);
  }
  const bytes = template.bytes.slice();
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const start = fitTime(activity.start);
  const duration = Math.max(n - 1, Math.round(activity.durationSec));
  const end = start + duration;
  const speed = activity.durationSec > 0 ? activity.distanceM / activity.durationSec : 0;
  const lat0 = activity.startLat ?? 0, lon0 = activity.startLon ?? 0;
  const heading = (activity.activityId % 360) * Math.PI / 180;
  for (const mesg of template.messages) {
    const little = template.littleEndian.get(mesg.mesgNum) ?? true;
    const f = mesg.fields;
    switch (mesg.mesgNum) {
      case Profile.MesgNum.FILE_ID:
        writeInt(view, f.get("timeCreated"), start, little);
        writeInt(view, f.get("serialNumber"), 3_900_000_000 + (activity.activityId % 90_000_000), little);
        break;
      case Profile.MesgNum.EVENT:
        writeInt(view, f.get("timestamp"), mesg.ordinal === 0 ? start : end, little);
        break;
      case Profile.MesgNum.RECORD: {
        const i = mesg.ordinal;
        const frac = i / (n - 1);
        const w = wobble(activity.activityId, i);
        const hrWarmup = Math.min(1, 0.75 + frac * 2);
        const hr = Math.min(activity.maxHr, activity.avgHr * hrWarmup + w * 6);
        const km = (activity.distanceM * frac) / 1000;
        writeInt(view, f.get("timestamp"), start + Math.round(duration * frac), little);
        writeInt(view, f.get("heartRate"), hr, little);
        writeInt(view, f.get("distance"), activity.distanceM * frac * 100, little);
        writeInt(view, f.get("speed"), Math.max(0, speed * (1 + w * 0.08)) * 1000, little);
        if (f.has("positionLat")) {
          // About 111 km per degree of latitude: walk away from the start along a fixed heading.
          const lat = lat0 + (km / 111) * Math.cos(heading);
          const lon = lon0 + (km / (111 * Math.max(0.2, Math.cos(lat0 * Math.PI / 180)))) * Math.sin(heading);
          writeInt(view, f.get("positionLat"), lat * SEMICIRCLES_PER_DEGREE, little);
          writeInt(view, f.get("positionLong"), lon * SEMICIRCLES_PER_DEGREE, little);
          writeInt(view, f.get("altitude"), (120 + w * 15 + 500) * 5, little);
          writeInt(view, f.get("cadence"), (activity.sport === "cycling" ? 85 : 82) + w * 4, little);
        }
        break;
      }
      case Profile.MesgNum.LAP:
      case Profile.MesgNum.SESSION:
        writeInt(view, f.get("timestamp"), end, little);
        writeInt(view, f.get("startTime"), start, little);
        writeInt(view, f.get("totalElapsedTime"), duration * 1000, little);
        writeInt(view, f.get("totalTimerTime"), duration * 1000, little);
        writeInt(view, f.get("totalDistance"), activity.distanceM * 100, little);
        writeInt(view, f.get("totalCalories"), activity.calories, little);
        writeInt(view, f.get("avgHeartRate"), activity.avgHr, little);
        writeInt(view, f.get("maxHeartRate"), activity.maxHr, little);
        break;
      case Profile.MesgNum.ACTIVITY:
        writeInt(view, f.get("timestamp"), end, little);
        writeInt(view, f.get("totalTimerTime"), duration * 1000, little);
        writeInt(view, f.get("localTimestamp"), end, little);
        break;
    }
  }
  const crcAt = bytes.length - 2;
  view.setUint16(crcAt, CrcCalculator.calculateCRC(bytes, 0, crcAt), true);
  return bytes;
}

/** Garmin's original-download ZIP: one entry `{id}_ACTIVITY.fit`. */
export function zipEntry(name: string, content: Uint8Array, mtime: Date): Uint8Array {
  return zipSync({ [name]: [content, { level: 1, mtime }] });
}
