/**
 * Deterministic sample data for the simulator: activities, daily health, workouts. Everything derives from the seed
 * and the clock, so two simulators started with the same options answer the same bytes (except "today", which keeps
 * moving like the real thing).
 */

/** The owner of the generated data, as the simulator's account describes it. */
export interface DataOwner {
  profileId: number;
  displayName: string;
  fullName: string;
}

/** One generated activity: its id, whether it is a manual entry (no original file) and its list-item JSON. */
export interface GeneratedActivity {
  activityId: number;
  manual: boolean;
  summary: Record<string, unknown>;
}

/** A workout and how many times it was changed. */
export interface SimWorkout {
  workoutId: number;
  name: string;
  sport: { sportTypeId: number; sportTypeKey: string; displayOrder: number };
  createdMs: number;
  updatedMs: number;
  revision: number;
}

/** The account's fixed time zone: local times are GMT + this many minutes (no DST, to stay deterministic). */
export const LOCAL_OFFSET_MIN = 60;
const TIME_ZONE_ID = 124;
const DAY_MS = 86_400_000;

/** mulberry32: small, fast, good enough for sample data. */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A PRNG seeded by the simulator seed and a string (e.g. a calendar date), so each day has its own stable numbers. */
export function prngFor(seed: number, key: string): () => number {
  let h = 2166136261 ^ seed;
  for (let i = 0; i < key.length; i++) h = Math.imul(h ^ key.charCodeAt(i), 16777619);
  return prng(h >>> 0);
}

function between(rand: () => number, lo: number, hi: number): number {
  return lo + (hi - lo) * rand();
}

function pad(n: number, w = 2): string {
  return String(n).padStart(w, "0");
}

/** "YYYY-MM-DD HH:MM:SS" of the UTC fields of `ms` (the activity list's time format). */
export function spaceTime(ms: number): string {
  const d = new Date(ms);
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())} ` +
    `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}:${pad(d.getUTCSeconds())}`;
}

/** "YYYY-MM-DDTHH:MM:SS.0" (the wellness and workout time format). */
export function tTime(ms: number): string {
  return spaceTime(ms).replace(" ", "T") + ".0";
}

/** "YYYY-MM-DD" of the UTC date of `ms`. */
export function isoDate(ms: number): string {
  return new Date(ms).toISOString().slice(0, 10);
}

/** Midnight UTC of a "YYYY-MM-DD" string, or NaN when it is not a real date. */
export function parseDate(date: string): number {
  if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) return NaN;
  const ms = Date.parse(`${date}T00:00:00Z`);
  return Number.isNaN(ms) || isoDate(ms) !== date ? NaN : ms;
}

interface Sport {
  typeId: number;
  typeKey: string;
  parentTypeId: number;
  fitSport: string;
  label: string;
  speed: [number, number]; // m/s
  minutes: [number, number];
  gps: boolean;
  weight: number;
}

const SPORTS: Sport[] = [
  {
    typeId: 1,
    typeKey: "running",
    parentTypeId: 17,
    fitSport: "running",
    label: "Running",
    speed: [2.6, 3.6],
    minutes: [25, 75],
    gps: true,
    weight: 40,
  },
  {
    typeId: 2,
    typeKey: "cycling",
    parentTypeId: 17,
    fitSport: "cycling",
    label: "Cycling",
    speed: [5.5, 8.5],
    minutes: [40, 180],
    gps: true,
    weight: 20,
  },
  {
    typeId: 9,
    typeKey: "walking",
    parentTypeId: 17,
    fitSport: "walking",
    label: "Walking",
    speed: [1.2, 1.6],
    minutes: [20, 70],
    gps: true,
    weight: 15,
  },
  {
    typeId: 3,
    typeKey: "hiking",
    parentTypeId: 17,
    fitSport: "hiking",
    label: "Hiking",
    speed: [0.9, 1.4],
    minutes: [90, 300],
    gps: true,
    weight: 7,
  },
  {
    typeId: 27,
    typeKey: "lap_swimming",
    parentTypeId: 26,
    fitSport: "swimming",
    label: "Pool Swim",
    speed: [0.6, 1.0],
    minutes: [25, 60],
    gps: false,
    weight: 8,
  },
  {
    typeId: 13,
    typeKey: "strength_training",
    parentTypeId: 29,
    fitSport: "training",
    label: "Strength",
    speed: [0, 0],
    minutes: [30, 60],
    gps: false,
    weight: 10,
  },
];

const PLACES = [
  { name: "Amsterdam", lat: 52.3676, lon: 4.9041 },
  { name: "Utrecht", lat: 52.0907, lon: 5.1214 },
  { name: "Haarlem", lat: 52.3874, lon: 4.6462 },
  { name: "Leiden", lat: 52.1601, lon: 4.497 },
];

function pickSport(rand: () => number): Sport {
  const total = SPORTS.reduce((s, x) => s + x.weight, 0);
  let r = rand() * total;
  for (const s of SPORTS) {
    r -= s.weight;
    if (r < 0) return s;
  }
  return SPORTS[0];
}

/** Builds one activity's list-item JSON (the fields of the notes' section 7.2). */
export function buildActivity(
  seed: number,
  owner: DataOwner,
  activityId: number,
  startGmtMs: number,
  manual: boolean,
): GeneratedActivity {
  const rand = prngFor(seed, `activity:${activityId}`);
  const sport = pickSport(rand);
  const place = PLACES[Math.floor(rand() * PLACES.length)];
  const duration = Math.round(between(rand, sport.minutes[0], sport.minutes[1]) * 60 * 10) / 10;
  const speed = between(rand, sport.speed[0], sport.speed[1]);
  const distance = sport.speed[1] === 0 ? 0 : Math.round(duration * speed * 10) / 10;
  const avgHr = manual ? null : Math.round(between(rand, sport.typeKey === "walking" ? 95 : 125, 162));
  const maxHr = avgHr === null ? null : Math.min(195, avgHr + Math.round(between(rand, 12, 30)));
  const calories = Math.round(duration / 60 * between(rand, 7, 13));
  const gps = sport.gps && !manual;
  const lat = gps ? Math.round((place.lat + between(rand, -0.02, 0.02)) * 1e6) / 1e6 : null;
  const lon = gps ? Math.round((place.lon + between(rand, -0.02, 0.02)) * 1e6) / 1e6 : null;
  const startLocalMs = startGmtMs + LOCAL_OFFSET_MIN * 60_000;
  const elevationGain = sport.gps ? Math.round(between(rand, 5, sport.typeKey === "hiking" ? 600 : 150)) : null;
  const zones = [0.1, 0.25, 0.35, 0.2, 0.1].map((f) => Math.round(duration * f * 10) / 10);
  const summary: Record<string, unknown> = {
    activityId,
    activityName: manual ? `${sport.label} (manual)` : `${place.name} ${sport.label}`,
    description: null,
    startTimeLocal: spaceTime(startLocalMs),
    startTimeGMT: spaceTime(startGmtMs),
    endTimeGMT: spaceTime(startGmtMs + duration * 1000),
    activityType: {
      typeId: sport.typeId,
      typeKey: sport.typeKey,
      parentTypeId: sport.parentTypeId,
      isHidden: false,
      restricted: false,
      trimmable: true,
    },
    eventType: { typeId: 9, typeKey: "uncategorized", sortOrder: 10 },
    distance,
    duration,
    elapsedDuration: Math.round(duration * 1.03 * 10) / 10,
    movingDuration: Math.round(duration * 0.97 * 10) / 10,
    elevationGain,
    elevationLoss: elevationGain,
    averageSpeed: distance > 0 ? Math.round((distance / duration) * 1000) / 1000 : 0,
    maxSpeed: distance > 0 ? Math.round((distance / duration) * 1.35 * 1000) / 1000 : 0,
    startLatitude: lat,
    startLongitude: lon,
    endLatitude: lat,
    endLongitude: lon,
    hasPolyline: gps,
    hasImages: false,
    ownerId: owner.profileId,
    ownerDisplayName: owner.displayName,
    ownerFullName: owner.fullName,
    ownerProfileImageUrlSmall: null,
    calories,
    bmrCalories: Math.round(duration / 60 * 1.2),
    averageHR: avgHr,
    maxHR: maxHr,
    averageRunningCadenceInStepsPerMinute: sport.typeKey === "running" ? Math.round(between(rand, 160, 182)) : null,
    steps: sport.typeKey === "running" || sport.typeKey === "walking" || sport.typeKey === "hiking"
      ? Math.round(duration / 60 * between(rand, 100, 170))
      : null,
    privacy: { typeId: 2, typeKey: "private" },
    timeZoneId: TIME_ZONE_ID,
    beginTimestamp: startGmtMs,
    sportTypeId: sport.parentTypeId === 26 ? 5 : 1,
    deviceId: manual ? null : 3_442_000_000 + (seed % 1000),
    manufacturer: manual ? null : "GARMIN",
    locationName: gps ? place.name : null,
    lapCount: manual ? 1 : Math.max(1, Math.round(distance / 1000)),
    hasSplits: !manual,
    splitSummaries: [],
    manualActivity: manual,
    autoCalcCalories: manual,
    pr: false,
    parent: false,
    favorite: false,
    purposeful: false,
    hrTimeInZone_1: manual ? null : zones[0],
    hrTimeInZone_2: manual ? null : zones[1],
    hrTimeInZone_3: manual ? null : zones[2],
    hrTimeInZone_4: manual ? null : zones[3],
    hrTimeInZone_5: manual ? null : zones[4],
  };
  return { activityId, manual, summary };
}

/** The FIT sport name and GPS flag for an activity type key (for the original download). */
export function fitSportOf(typeKey: unknown): { sport: string; gps: boolean } {
  const s = SPORTS.find((x) => x.typeKey === typeKey);
  return s ? { sport: s.fitSport, gps: s.gps } : { sport: "running", gps: true };
}

/**
 * `count` activities, newest first, the newest ending one to three hours before `nowMs`; about one a day.
 * Every 20th one (index 7, 27, ...) is a manual entry, so even the default 25 include one.
 */
export function generateActivities(seed: number, owner: DataOwner, count: number, nowMs: number): GeneratedActivity[] {
  const rand = prngFor(seed, "timeline");
  const ids: number[] = new Array(count);
  let id = 17_000_000_000 + Math.floor(rand() * 1_000_000);
  for (let i = count - 1; i >= 0; i--) {
    id += 10_000 + Math.floor(rand() * 2_000_000);
    ids[i] = id;
  }
  // An activity's own numbers depend only on its id, so its duration is known before its start is chosen: the newest
  // ends one to three hours before now, and each older one ends at least four hours before the next one starts.
  const out: GeneratedActivity[] = [];
  let nextStart = nowMs - Math.round(between(rand, 1, 3) * 3_600_000);
  for (let i = 0; i < count; i++) {
    const duration = Number(buildActivity(seed, owner, ids[i], 0, false).summary.duration) * 1000;
    const start = Math.floor((nextStart - duration) / 1000) * 1000;
    out.push(buildActivity(seed, owner, ids[i], start, i % 20 === 7));
    nextStart = start - Math.round(between(rand, 4, 36) * 3_600_000);
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------------------
// Health

/** The day window the simulator has health data for, as midnight-UTC milliseconds. */
export interface HealthWindow {
  firstMs: number;
  todayMs: number;
}

function dayRand(seed: number, date: string, what: string): () => number {
  return prngFor(seed, `${what}:${date}`);
}

function inWindow(win: HealthWindow, dayMs: number): boolean {
  return dayMs >= win.firstMs && dayMs <= win.todayMs;
}

/**
 * How far through "today" the account is (0..1), and a per-request bump, so today's numbers change on every request
 * like a watch that keeps syncing.
 */
export interface Liveness {
  nowMs: number;
  tick: number;
}

function progressOf(win: HealthWindow, dayMs: number, live: Liveness): number {
  if (dayMs < win.todayMs) return 1;
  return Math.min(1, Math.max(0.05, (live.nowMs - dayMs) / DAY_MS));
}

/** Resting heart rate of a day (shared by the summary, heart rate and sleep answers). */
function restingHr(seed: number, date: string): number {
  return Math.round(between(dayRand(seed, date, "rhr"), 45, 65));
}

/** `/usersummary-service/usersummary/daily/...`: the day's summary; a day without data has nulls. */
export function dailySummary(
  seed: number,
  owner: DataOwner,
  win: HealthWindow,
  date: string,
  live: Liveness,
): Record<string, unknown> {
  const dayMs = parseDate(date);
  const startGmt = dayMs - LOCAL_OFFSET_MIN * 60_000;
  const base: Record<string, unknown> = {
    userProfileId: owner.profileId,
    calendarDate: date,
    uuid: null,
    wellnessStartTimeGmt: tTime(startGmt),
    wellnessStartTimeLocal: tTime(dayMs),
    wellnessEndTimeGmt: tTime(startGmt + DAY_MS),
    wellnessEndTimeLocal: tTime(dayMs + DAY_MS),
    durationInMilliseconds: DAY_MS,
    privacyProtected: false,
    includesWellnessData: false,
    includesActivityData: false,
    totalSteps: null,
    totalDistanceMeters: null,
    totalKilocalories: null,
    activeKilocalories: null,
    bmrKilocalories: null,
    dailyStepGoal: 8000,
    restingHeartRate: null,
    minHeartRate: null,
    maxHeartRate: null,
    averageStressLevel: null,
    maxStressLevel: null,
    bodyBatteryHighestValue: null,
    bodyBatteryLowestValue: null,
    source: "GARMIN",
  };
  if (!inWindow(win, dayMs)) return base;
  const rand = dayRand(seed, date, "summary");
  const p = progressOf(win, dayMs, live);
  const fullSteps = Math.round(between(rand, 2000, 20000));
  const steps = dayMs === win.todayMs ? Math.min(fullSteps, Math.round(fullSteps * p) + live.tick * 7) : fullSteps;
  const bmr = Math.round(between(rand, 1650, 1850));
  const active = Math.round(steps * 0.045 + between(rand, 0, 250));
  const rhr = restingHr(seed, date);
  const bbHigh = Math.round(between(rand, 60, 100));
  const bbLow = Math.round(between(rand, 5, 35));
  return {
    ...base,
    includesWellnessData: true,
    includesActivityData: rand() < 0.6,
    totalSteps: steps,
    totalDistanceMeters: Math.round(steps * 0.78),
    totalKilocalories: Math.round(bmr * p) + active,
    activeKilocalories: active,
    bmrKilocalories: Math.round(bmr * p),
    wellnessKilocalories: Math.round(bmr * p) + active,
    highlyActiveSeconds: Math.round(between(rand, 300, 4000) * p),
    activeSeconds: Math.round(between(rand, 2000, 9000) * p),
    sedentarySeconds: Math.round(between(rand, 25000, 45000) * p),
    sleepingSeconds: Math.round(between(rand, 18000, 32400)),
    moderateIntensityMinutes: Math.round(between(rand, 0, 60) * p),
    vigorousIntensityMinutes: Math.round(between(rand, 0, 45) * p),
    floorsAscended: Math.round(between(rand, 0, 25)),
    floorsDescended: Math.round(between(rand, 0, 25)),
    restingHeartRate: rhr,
    minHeartRate: rhr - Math.round(between(rand, 1, 5)),
    maxHeartRate: Math.round(between(rand, 120, 185)),
    lastSevenDaysAvgRestingHeartRate: rhr + Math.round(between(rand, -2, 2)),
    averageStressLevel: Math.round(between(rand, 18, 45)),
    maxStressLevel: Math.round(between(rand, 70, 99)),
    stressQualifier: "BALANCED",
    bodyBatteryChargedValue: Math.round(between(rand, 30, 80)),
    bodyBatteryDrainedValue: Math.round(between(rand, 30, 80) * p),
    bodyBatteryHighestValue: bbHigh,
    bodyBatteryLowestValue: bbLow,
    bodyBatteryMostRecentValue: Math.round(bbHigh - (bbHigh - bbLow) * p),
    bodyBatteryAtWakeTime: bbHigh - Math.round(between(rand, 0, 5)),
    averageSpo2: Math.round(between(rand, 93, 98)),
    lowestSpo2: Math.round(between(rand, 86, 92)),
    avgWakingRespirationValue: Math.round(between(rand, 12, 17)),
  };
}

/** Sleep of the night that ends on `date`: 5-9 h split into deep/light/REM/awake; null DTO id when there is none. */
export function sleepData(seed: number, owner: DataOwner, win: HealthWindow, date: string): Record<string, unknown> {
  const dayMs = parseDate(date);
  const rand = dayRand(seed, date, "sleep");
  // About one night in twelve has no sleep recorded (watch off), and days outside the window have none.
  if (!inWindow(win, dayMs) || rand() < 0.08) {
    return {
      dailySleepDTO: {
        id: null,
        userProfilePK: owner.profileId,
        calendarDate: date,
        sleepTimeSeconds: null,
        napTimeSeconds: null,
        sleepWindowConfirmed: false,
        sleepStartTimestampGMT: null,
        sleepEndTimestampGMT: null,
        sleepStartTimestampLocal: null,
        sleepEndTimestampLocal: null,
        deepSleepSeconds: null,
        lightSleepSeconds: null,
        remSleepSeconds: null,
        awakeSleepSeconds: null,
        unmeasurableSleepSeconds: null,
        deviceRemCapable: true,
        retro: false,
      },
      sleepMovement: [],
      remSleepData: null,
      sleepLevels: [],
      restingHeartRate: null,
    };
  }
  const total = Math.round(between(rand, 5, 9) * 3600 / 60) * 60;
  const deep = Math.round(total * between(rand, 0.13, 0.23) / 60) * 60;
  const rem = Math.round(total * between(rand, 0.18, 0.26) / 60) * 60;
  const light = total - deep - rem;
  const awake = Math.round(between(rand, 5, 45)) * 60;
  const endLocal = dayMs + Math.round(between(rand, 6, 8.5) * 3600) * 1000;
  const startLocal = endLocal - (total + awake) * 1000;
  const offset = LOCAL_OFFSET_MIN * 60_000;
  const score = Math.round(between(rand, 55, 95));
  return {
    dailySleepDTO: {
      id: startLocal - offset,
      userProfilePK: owner.profileId,
      calendarDate: date,
      sleepTimeSeconds: total,
      napTimeSeconds: 0,
      sleepWindowConfirmed: true,
      sleepWindowConfirmationType: "enhanced_confirmed_final",
      sleepStartTimestampGMT: startLocal - offset,
      sleepEndTimestampGMT: endLocal - offset,
      sleepStartTimestampLocal: startLocal,
      sleepEndTimestampLocal: endLocal,
      unmeasurableSleepSeconds: 0,
      deepSleepSeconds: deep,
      lightSleepSeconds: light,
      remSleepSeconds: rem,
      awakeSleepSeconds: awake,
      deviceRemCapable: true,
      retro: false,
      averageSpO2Value: Math.round(between(rand, 92, 97)),
      averageRespirationValue: Math.round(between(rand, 12, 16) * 10) / 10,
      awakeCount: Math.round(between(rand, 0, 4)),
      avgSleepStress: Math.round(between(rand, 8, 25) * 10) / 10,
      sleepScores: {
        overall: { value: score, qualifierKey: score >= 80 ? "GOOD" : score >= 60 ? "FAIR" : "POOR" },
        totalDuration: { qualifierKey: total >= 7 * 3600 ? "GOOD" : "FAIR" },
      },
      sleepVersion: 2,
    },
    sleepMovement: null,
    remSleepData: true,
    sleepLevels: null,
    restingHeartRate: restingHr(seed, date),
    bodyBatteryChange: Math.round(between(rand, 20, 70)),
  };
}

/** `/wellness-service/wellness/dailyHeartRate/...`: 2-minute samples; nulls on a day without data. */
export function heartRate(
  seed: number,
  owner: DataOwner,
  win: HealthWindow,
  date: string,
  live: Liveness,
): Record<string, unknown> {
  const dayMs = parseDate(date);
  const startGmt = dayMs - LOCAL_OFFSET_MIN * 60_000;
  const base = {
    userProfilePK: owner.profileId,
    calendarDate: date,
    startTimestampGMT: tTime(startGmt),
    endTimestampGMT: tTime(startGmt + DAY_MS),
    startTimestampLocal: tTime(dayMs),
    endTimestampLocal: tTime(dayMs + DAY_MS),
  };
  if (!inWindow(win, dayMs)) {
    return {
      ...base,
      maxHeartRate: null,
      minHeartRate: null,
      restingHeartRate: null,
      lastSevenDaysAvgRestingHeartRate: null,
      heartRateValueDescriptors: null,
      heartRateValues: null,
    };
  }
  const rhr = restingHr(seed, date);
  const rand = dayRand(seed, date, "hr");
  const samples = Math.max(1, Math.floor(720 * progressOf(win, dayMs, live)));
  const values: [number, number | null][] = [];
  let min = 999, max = 0;
  for (let i = 0; i < samples; i++) {
    const hour = (i * 2) / 60;
    const awake = hour > 7 && hour < 23;
    const v = rand() < 0.02 ? null : Math.round(rhr + (awake ? between(rand, 10, 45) : between(rand, 0, 8)));
    if (v !== null) {
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
    values.push([startGmt + i * 120_000, v]);
  }
  return {
    ...base,
    maxHeartRate: max,
    minHeartRate: min,
    restingHeartRate: rhr,
    lastSevenDaysAvgRestingHeartRate: rhr + 1,
    heartRateValueDescriptors: [{ key: "timestamp", index: 0 }, { key: "heartrate", index: 1 }],
    heartRateValues: values,
  };
}

/** `/wellness-service/wellness/dailyStress/{date}`: stress and body battery samples every 3 minutes. */
export function stress(
  seed: number,
  owner: DataOwner,
  win: HealthWindow,
  date: string,
  live: Liveness,
): Record<string, unknown> {
  const dayMs = parseDate(date);
  const startGmt = dayMs - LOCAL_OFFSET_MIN * 60_000;
  const base = {
    userProfilePK: owner.profileId,
    calendarDate: date,
    startTimestampGMT: new Date(startGmt).toISOString(),
    endTimestampGMT: new Date(startGmt + DAY_MS).toISOString(),
    startTimestampLocal: new Date(dayMs).toISOString(),
    endTimestampLocal: new Date(dayMs + DAY_MS).toISOString(),
    stressChartValueOffset: 1,
    stressChartYAxisOrigin: -1,
  };
  if (!inWindow(win, dayMs)) {
    return { ...base, maxStressLevel: null, avgStressLevel: null, stressValuesArray: [], bodyBatteryValuesArray: [] };
  }
  const rand = dayRand(seed, date, "stress");
  const samples = Math.max(1, Math.floor(480 * progressOf(win, dayMs, live)));
  const stressValues: [number, number][] = [];
  const battery: [number, string, number, number][] = [];
  let level = Math.round(between(rand, 20, 40));
  let bb = Math.round(between(rand, 70, 100));
  let sum = 0, max = 0;
  for (let i = 0; i < samples; i++) {
    const ts = startGmt + i * 180_000;
    const hour = (i * 3) / 60;
    const asleep = hour < 7;
    level = Math.max(0, Math.min(99, level + Math.round(between(rand, -6, 6)) + (asleep ? -1 : 0)));
    const value = rand() < 0.05 ? -1 : level;
    stressValues.push([ts, value]);
    if (value >= 0) {
      sum += value;
      max = Math.max(max, value);
    }
    bb = Math.max(5, Math.min(100, bb + (asleep ? 1 : -0.15 - level / 400)));
    battery.push([ts, asleep ? "charging" : "draining", Math.round(bb), 1.0]);
  }
  return {
    ...base,
    maxStressLevel: max,
    avgStressLevel: Math.round(sum / Math.max(1, stressValues.filter((v) => v[1] >= 0).length)),
    stressValuesArray: stressValues,
    bodyBatteryValuesArray: battery,
  };
}

/** One day of `/wellness-service/wellness/bodyBattery/reports/daily`; null outside the window. */
export function bodyBatteryReport(
  seed: number,
  win: HealthWindow,
  date: string,
  live: Liveness,
): Record<string, unknown> | null {
  const dayMs = parseDate(date);
  if (!inWindow(win, dayMs)) return null;
  const rand = dayRand(seed, date, "bb");
  const startGmt = dayMs - LOCAL_OFFSET_MIN * 60_000;
  const hours = Math.max(1, Math.floor(24 * progressOf(win, dayMs, live)));
  const values: [number, number | null][] = [];
  let bb = Math.round(between(rand, 20, 40));
  for (let h = 0; h < hours; h++) {
    bb = Math.max(5, Math.min(100, bb + (h < 7 ? Math.round(between(rand, 5, 10)) : -Math.round(between(rand, 1, 6)))));
    values.push([startGmt + h * 3_600_000, bb]);
  }
  return {
    date,
    charged: Math.round(between(rand, 30, 75)),
    drained: Math.round(between(rand, 30, 75)),
    startTimestampGMT: tTime(startGmt),
    endTimestampGMT: tTime(startGmt + DAY_MS),
    startTimestampLocal: tTime(dayMs),
    endTimestampLocal: tTime(dayMs + DAY_MS),
    bodyBatteryValuesArray: values,
    bodyBatteryValueDescriptorDTOList: [
      { bodyBatteryValueDescriptorIndex: 0, bodyBatteryValueDescriptorKey: "timestamp" },
      { bodyBatteryValueDescriptorIndex: 1, bodyBatteryValueDescriptorKey: "bodyBatteryLevel" },
    ],
  };
}

/** The weigh-in of a day (grams), or null: about 60 % of days have one. */
export function weighIn(seed: number, win: HealthWindow, date: string): Record<string, unknown> | null {
  const dayMs = parseDate(date);
  if (!inWindow(win, dayMs)) return null;
  const rand = dayRand(seed, date, "weight");
  if (rand() > 0.6) return null;
  // A slow drift around 70 kg so a chart of it looks like a person, not noise.
  const drift = Math.sin(dayMs / (DAY_MS * 23)) * 1200;
  const weight = Math.round((70000 + drift + between(rand, -400, 400)) / 10) * 10;
  const localMs = dayMs + Math.round(between(rand, 6.5, 8.5) * 3_600_000);
  return {
    samplePk: 1_700_000_000_000 + Math.floor(dayMs / 1000),
    date: localMs,
    calendarDate: date,
    weight,
    bmi: Math.round((weight / 1000 / (1.78 * 1.78)) * 10) / 10,
    bodyFat: Math.round(between(rand, 15, 19) * 10) / 10,
    bodyWater: Math.round(between(rand, 55, 60) * 10) / 10,
    boneMass: 3200,
    muscleMass: Math.round(weight * 0.44),
    physiqueRating: null,
    visceralFat: null,
    metabolicAge: null,
    sourceType: "INDEX_SCALE",
    timestampGMT: localMs - LOCAL_OFFSET_MIN * 60_000,
    weightDelta: null,
  };
}

/** HRV of a night, or null (answered 204) for about one night in six and outside the window. */
export function hrv(seed: number, owner: DataOwner, win: HealthWindow, date: string): Record<string, unknown> | null {
  const dayMs = parseDate(date);
  if (!inWindow(win, dayMs)) return null;
  const rand = dayRand(seed, date, "hrv");
  if (rand() < 0.15) return null;
  const lastNight = Math.round(between(rand, 38, 70));
  return {
    userProfilePk: owner.profileId,
    hrvSummary: {
      calendarDate: date,
      weeklyAvg: Math.round(between(rand, 45, 60)),
      lastNightAvg: lastNight,
      lastNight5MinHigh: lastNight + Math.round(between(rand, 10, 30)),
      baseline: { lowUpper: 42, balancedLow: 46, balancedUpper: 62, markerValue: 0.45 },
      status: "BALANCED",
      feedbackPhrase: "HRV_BALANCED_8",
      createTimeStamp: tTime(dayMs + 8 * 3_600_000),
    },
    hrvReadings: [],
  };
}

// ---------------------------------------------------------------------------------------------------------------
// Workouts

const WORKOUT_TEMPLATES = [
  { name: "Easy Run 5k", sport: { sportTypeId: 1, sportTypeKey: "running", displayOrder: 1 } },
  { name: "Intervals 6x800m", sport: { sportTypeId: 1, sportTypeKey: "running", displayOrder: 1 } },
  { name: "Tempo 20 min", sport: { sportTypeId: 1, sportTypeKey: "running", displayOrder: 1 } },
  { name: "Sweet Spot Ride", sport: { sportTypeId: 2, sportTypeKey: "cycling", displayOrder: 2 } },
  { name: "Long Run", sport: { sportTypeId: 1, sportTypeKey: "running", displayOrder: 1 } },
  { name: "Core Strength", sport: { sportTypeId: 5, sportTypeKey: "strength_training", displayOrder: 5 } },
  { name: "Pool 10x100", sport: { sportTypeId: 4, sportTypeKey: "swimming", displayOrder: 3 } },
];

/** `count` workouts, created over the last months, most recently updated first. */
export function generateWorkouts(seed: number, count: number, nowMs: number): SimWorkout[] {
  const rand = prngFor(seed, "workouts");
  const out: SimWorkout[] = [];
  let updated = nowMs - Math.round(between(rand, 1, 3) * DAY_MS);
  for (let i = 0; i < count; i++) {
    const t = WORKOUT_TEMPLATES[i % WORKOUT_TEMPLATES.length];
    const round = Math.floor(i / WORKOUT_TEMPLATES.length);
    const updatedMs = Math.floor(updated / 1000) * 1000;
    out.push({
      workoutId: 1_200_000_000 + (seed % 1000) * 10_000 + (count - i) * 7,
      name: round === 0 ? t.name : `${t.name} #${round + 1}`,
      sport: t.sport,
      createdMs: updatedMs - Math.round(between(rand, 0, 60) * DAY_MS),
      updatedMs,
      revision: 0,
    });
    updated -= Math.round(between(rand, 2, 12) * DAY_MS);
  }
  return out;
}

function step(order: number, key: string, typeId: number, seconds: number | null, meters: number | null) {
  const byTime = seconds !== null;
  return {
    type: "ExecutableStepDTO",
    stepId: 9_000_000 + order,
    stepOrder: order,
    stepType: { stepTypeId: typeId, stepTypeKey: key, displayOrder: typeId },
    childStepId: null,
    description: null,
    endCondition: byTime
      ? { conditionTypeId: 2, conditionTypeKey: "time", displayOrder: 2, displayable: true }
      : meters !== null
      ? { conditionTypeId: 3, conditionTypeKey: "distance", displayOrder: 3, displayable: true }
      : { conditionTypeId: 1, conditionTypeKey: "lap.button", displayOrder: 1, displayable: true },
    endConditionValue: byTime ? seconds : meters,
    targetType: { workoutTargetTypeId: 1, workoutTargetTypeKey: "no.target", displayOrder: 1 },
    targetValueOne: null,
    targetValueTwo: null,
    strokeType: { strokeTypeId: 0, strokeTypeKey: null, displayOrder: 0 },
    equipmentType: { equipmentTypeId: 0, equipmentTypeKey: null, displayOrder: 0 },
  };
}

/** The list item of a workout (`/workout-service/workouts`). */
export function workoutSummary(w: SimWorkout, profileId: number): Record<string, unknown> {
  const warmup = 600 + w.revision * 60;
  return {
    workoutId: w.workoutId,
    ownerId: profileId,
    workoutName: w.name,
    description: w.revision === 0 ? null : `Revision ${w.revision}`,
    updateDate: tTime(w.updatedMs),
    updatedDate: tTime(w.updatedMs),
    createdDate: tTime(w.createdMs),
    sportType: w.sport,
    trainingPlanId: null,
    author: { userProfilePk: profileId, displayName: null, fullName: null, profileImgNameSmall: null },
    estimatedDurationInSecs: warmup + 1800 + 300,
    estimatedDistanceInMeters: null,
    estimateType: null,
    workoutProvider: null,
    workoutSourceId: null,
    consumer: null,
    atpPlanId: null,
    shared: false,
    estimated: true,
  };
}

/** The detail of a workout (`/workout-service/workout/{id}`): the summary plus segments and steps. */
export function workoutDetail(w: SimWorkout, profileId: number): Record<string, unknown> {
  const warmup = 600 + w.revision * 60;
  const repeat = {
    type: "RepeatGroupDTO",
    stepId: 9_000_100,
    stepOrder: 2,
    stepType: { stepTypeId: 6, stepTypeKey: "repeat", displayOrder: 6 },
    childStepId: 1,
    numberOfIterations: 6,
    smartRepeat: false,
    endCondition: { conditionTypeId: 7, conditionTypeKey: "iterations", displayOrder: 7, displayable: false },
    endConditionValue: 6,
    workoutSteps: [step(3, "interval", 3, null, 800), step(4, "recovery", 4, 120, null)],
  };
  return {
    ...workoutSummary(w, profileId),
    workoutSegments: [{
      segmentOrder: 1,
      sportType: w.sport,
      workoutSteps: [step(1, "warmup", 1, warmup, null), repeat, step(5, "cooldown", 2, 300, null)],
    }],
  };
}
