/**
 * The one client and REST API the dashboard uses, both from `@openeye/client`, sharing a token
 * provider that reads localStorage and renews the token shortly before it expires. A kiosk page
 * signed in with a kiosk key (kiosk-key.ts) gives that key instead: it never expires, so nothing
 * is renewed.
 *
 * Connection tuning can be overridden for tests and troubleshooting with a JSON object in
 * localStorage under `openeye.client`, e.g. `{"pollIntervalMs":500,"backoff":{"baseMs":100,"capMs":500}}` or `{"shareConnection":false}`.
 */
import { type ClientOptions, OpenEyeApi, OpenEyeClient } from '@openeye/client';
import { kioskKeySession, readKioskKey } from './kiosk-key';
import { decodeToken, readJson, readToken, storeToken } from './session';
import { readWatchedCameras } from './watch';

export const CLIENT_OVERRIDES_KEY = 'openeye.client';

/** Renew when less than this is left of the token's lifetime. */
const RENEW_BEFORE_MS = 5 * 60_000;

let renewing: Promise<string | null> | null = null;

/** The current token, renewed through `POST /api/auth/refresh` when it is about to expire. */
export async function currentToken(): Promise<string | null> {
  if (kioskKeySession) return readKioskKey();
  const token = readToken();
  if (!token) return null;
  const claims = decodeToken(token);
  if (!claims) return token;
  const left = claims.exp * 1000 - Date.now();
  const lifetime = (claims.exp - claims.iat) * 1000;
  if (left <= 0 || left > Math.min(RENEW_BEFORE_MS, lifetime / 2)) return token;
  renewing ??= new OpenEyeApi({ getToken: () => token })
    .refresh()
    .then(
      (answer) => {
        // Only keep it if nobody signed out or in meanwhile.
        if (readToken() === token) storeToken(answer.access_token);
        return readToken();
      },
      () => readToken(),
    )
    .finally(() => {
      renewing = null;
    });
  return renewing;
}

type Overrides = Pick<
  ClientOptions,
  'pollIntervalMs' | 'pollingAfterFailures' | 'backoff' | 'connectTimeoutMs' | 'shareConnection'
>;

function readOverrides(): Overrides {
  const raw = readJson<Record<string, unknown>>(CLIENT_OVERRIDES_KEY, {});
  const out: Overrides = {};
  if (typeof raw.pollIntervalMs === 'number') out.pollIntervalMs = raw.pollIntervalMs;
  if (typeof raw.pollingAfterFailures === 'number') out.pollingAfterFailures = raw.pollingAfterFailures;
  if (typeof raw.connectTimeoutMs === 'number') out.connectTimeoutMs = raw.connectTimeoutMs;
  if (raw.backoff && typeof raw.backoff === 'object') out.backoff = raw.backoff as Overrides['backoff'];
  if (raw.shareConnection === false) out.shareConnection = false;
  return out;
}

export const api = new OpenEyeApi({ getToken: currentToken });

const watched = readWatchedCameras();

/**
 * One connection per browser: this origin's tabs share one WebSocket (one leader tab holds it, the
 * others get its messages), so the per-user limit counts devices, not tabs. The tabs share one
 * session too (the token in localStorage; auth.tsx signs every tab out together and reloads a tab
 * when another signs in as someone else). `{"shareConnection":false}` in `openeye.client` turns it off.
 * Kiosk pages with a kiosk key share theirs among themselves only: another credential.
 */
const SHARE_GROUP = kioskKeySession ? 'kiosk' : 'dashboard';

export const client = new OpenEyeClient({
  getToken: currentToken,
  cameraIds: watched.length > 0 ? watched : null,
  shareConnection: SHARE_GROUP,
  ...readOverrides(),
});
