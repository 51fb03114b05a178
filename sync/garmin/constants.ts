/**
 * Garmin's client ids, service URLs and header sets as the 2026 clients send them
 * (see /work/shared/garmin_auth_2026.md §1.0-§1.5). Service URLs are CAS identifiers, not hosts we call:
 * they stay the real ones even when every host is mapped to a simulator.
 */

/** iOS app sign-in used for password logins (python-garminconnect 0.3 "mobile" strategy). */
export const IOS_SSO_CLIENT_ID = "GCM_IOS_DARK";
/** Service URL of the iOS sign-in; the ticket must be exchanged with this same URL. */
export const IOS_SERVICE_URL = "https://mobile.integration.garmin.com/gcm/ios";
/** Android sign-in page a person uses in a browser (`login --browser`, `login --ticket`). */
export const ANDROID_SSO_CLIENT_ID = "GCM_ANDROID_DARK";
/** Service URL of the Android sign-in page. */
export const ANDROID_SERVICE_URL = "https://mobile.integration.garmin.com/gcm/android";
/** Desktop portal sign-in, the fallback flow. */
export const PORTAL_SSO_CLIENT_ID = "GarminConnect";
/** Service URL of the portal sign-in. */
export const PORTAL_SERVICE_URL = "https://connect.garmin.com/app";

/** DI OAuth2 client ids, tried in this order for a ticket exchange. */
export const DI_CLIENT_IDS = [
  "GARMIN_CONNECT_MOBILE_ANDROID_DI_2025Q2",
  "GARMIN_CONNECT_MOBILE_ANDROID_DI_2024Q4",
  "GARMIN_CONNECT_MOBILE_ANDROID_DI",
  "GARMIN_CONNECT_MOBILE_IOS_DI",
] as const;
/** Grant type of the ticket → DI token exchange. */
export const DI_GRANT_TYPE = "https://connectapi.garmin.com/di-oauth2-service/oauth/grant/service_ticket";
/** Path of the DI token endpoint on diauth. */
export const DI_TOKEN_PATH = "/di-oauth2-service/oauth/token";

/** User agent of the iPhone sign-in requests. */
export const IOS_LOGIN_UA =
  "Mozilla/5.0 (iPhone; CPU iPhone OS 18_7 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148";
/** Desktop browser user agent of the portal flow. */
export const DESKTOP_USER_AGENT =
  "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36";
/** Android WebView user agent for the browser login (what the app's sign-in page expects). */
export const ANDROID_WEBVIEW_UA =
  "Mozilla/5.0 (Linux; Android 13; sdk_gphone64_arm64 Build/TE1A.220922.021; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/132.0.0.0 Mobile Safari/537.36";
/** User agent of the legacy OAuth1 calls (the consumer key belongs to the Android app). */
export const CONNECT_MOBILE_UA = "com.garmin.android.apps.connectmobile";

/** python-garminconnect `_native_headers()`: sent to diauth and on every API call. */
export const NATIVE_HEADERS: Readonly<Record<string, string>> = {
  "User-Agent": "GCM-Android-5.23",
  "X-Garmin-User-Agent":
    "com.garmin.android.apps.connectmobile/5.23; ; Google/sdk_gphone64_arm64/google; Android/33; Dalvik/2.1.0",
  "X-Garmin-Paired-App-Version": "10861",
  "X-Garmin-Client-Platform": "Android",
  "X-App-Ver": "10861",
  "X-Lang": "en",
  "X-GCExperience": "GC5",
  "Accept-Language": "en-US,en;q=0.9",
};

/** How early before the access token's `exp` it is refreshed. */
export const REFRESH_MARGIN_MS = 15 * 60 * 1000;
/** An idle session is refreshed once this long after its last refresh, so the refresh token's window keeps rolling. */
export const IDLE_REFRESH_MS = 24 * 60 * 60 * 1000;
/** How long a login waiting for an MFA code is kept in memory. */
export const PENDING_LOGIN_TTL_MS = 10 * 60 * 1000;
