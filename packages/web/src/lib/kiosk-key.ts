/**
 * A wall screen's kiosk key: an API key of a viewer account, made by an admin under Admin → Kiosk
 * screens. It never expires and needs no refresh; the server closes its sockets and answers 401 once
 * it is revoked.
 *
 * How it reaches the screen: in the fragment of the screen's sign-in link, `/kiosk#key=oek_…`.
 * Browsers never send a fragment to the server, so the key is in no request line, server log,
 * proxy log or Referer. The page takes it once as it starts, keeps it in localStorage (under
 * `openeye.kiosk_key`, to survive restarts of the browser) and removes it from the address bar
 * with `history.replaceState`, so it is not left in the history, a bookmark or on the screen.
 *
 * Only kiosk pages (`/kiosk`, `?kiosk=1`) use the key: the rest of the dashboard in the same
 * browser keeps its own sign-in, and a person's session never replaces the screen's.
 */

export const KIOSK_KEY = 'openeye.kiosk_key';
/** How an API key reads (server: auth/api-keys.ts). */
const API_KEY = /^oek_[a-z0-9]{12}_[A-Za-z0-9_-]{43}$/;

export function isKiosk(path: string, search: string): boolean {
  return path === '/kiosk' || new URLSearchParams(search).get('kiosk') === '1';
}

function storage(): Storage | null {
  try {
    return globalThis.localStorage ?? null;
  } catch {
    return null;
  }
}

export function readKioskKey(): string | null {
  return storage()?.getItem(KIOSK_KEY) ?? null;
}

export function forgetKioskKey(): void {
  storage()?.removeItem(KIOSK_KEY);
}

/**
 * Takes `key=` from the fragment of a kiosk page's address: stored (a new key replaces the old one)
 * when it reads like a key, and removed from the address bar in any case. True when one was stored.
 */
export function takeKeyFromFragment(
  location: Pick<Location, 'pathname' | 'search' | 'hash'>,
  history: Pick<History, 'replaceState' | 'state'>,
): boolean {
  if (!isKiosk(location.pathname, location.search)) return false;
  const params = new URLSearchParams(location.hash.replace(/^#/, ''));
  const key = params.get('key');
  if (key === null) return false;
  params.delete('key');
  const rest = params.toString();
  history.replaceState(history.state, '', `${location.pathname}${location.search}${rest ? `#${rest}` : ''}`);
  if (!API_KEY.test(key)) return false;
  storage()?.setItem(KIOSK_KEY, key);
  return true;
}

/**
 * Whether this page is a kiosk signed in with a kiosk key: decided once, as the page starts (the key
 * in the fragment taken first). A kiosk page without a key signs in as a person, as before.
 */
export const kioskKeySession: boolean = (() => {
  if (typeof window === 'undefined') return false;
  takeKeyFromFragment(window.location, window.history);
  return isKiosk(window.location.pathname, window.location.search) && readKioskKey() !== null;
})();

/** The sign-in link of a kiosk screen (its key in the fragment, never sent to the server). */
export function kioskLink(origin: string, key: string): string {
  return `${origin}/kiosk#key=${encodeURIComponent(key)}`;
}

/**
 * What the server says of the key when a connection was refused: `refused` (401: revoked, or its
 * account disabled or removed), `accepted` (the socket's refusal was passing, e.g. the account's
 * sessions were ended by a password change), or `unknown` (no answer, or another error). Only
 * `refused` ends the screen's retrying.
 */
export async function keyVerdict(ask: () => Promise<unknown>): Promise<'refused' | 'accepted' | 'unknown'> {
  try {
    await ask();
    return 'accepted';
  } catch (error) {
    return (error as { status?: unknown }).status === 401 ? 'refused' : 'unknown';
  }
}
