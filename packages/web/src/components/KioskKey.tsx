/**
 * A kiosk screen signed in with its kiosk key (lib/kiosk-key.ts): the wall, read-only (no alert
 * actions, nothing that navigates away), connected for as long as the key is good. The key never
 * expires and is never refreshed; the client reconnects with backoff forever. When the server
 * refuses the key on the socket or on polling, the screen asks it once over REST whether the key
 * itself is refused: only a 401 there (revoked, or its account disabled or removed) ends the
 * retrying, with a full-screen message; any other answer, or none, and the screen connects again.
 * No sign-out: a discreet button forgets the key on this screen.
 */
import { useEffect, useState } from 'react';
import { loadCameras } from '../lib/cameras';
import { useTitle } from '../lib/hooks';
import { forgetKioskKey, keyVerdict } from '../lib/kiosk-key';
import { seed } from '../lib/live';
import { ReadOnly } from '../lib/read-only';
import { api, client } from '../lib/services';
import { watched } from '../lib/watch';
import { Logo } from './Icon';
import { KioskShell } from './Kiosk';

/** Waits before connecting again after a refusal that was not the key's (grows, reset once connected). */
const AGAIN_MS = [1000, 2000, 5000, 10_000, 30_000];

function forget(): void {
  forgetKioskKey();
  client.disconnect();
  window.location.reload();
}

function KeyRevoked() {
  useTitle('Sign-in link needed');
  return (
    <main className="kiosk-revoked" id="main" data-testid="kiosk-revoked">
      <div className="kiosk-revoked-card" role="alert">
        <Logo size={56} />
        <h1>This screen's key was revoked.</h1>
        <p className="kiosk-revoked-lead">Ask an administrator for a new sign-in link.</p>
        <p className="kiosk-revoked-detail">
          The server no longer accepts the key this screen signs in with: it was revoked, or the account it belongs to
          was disabled or removed. Opening the new link on this screen replaces it; reloading this page tries the key
          once more.
        </p>
      </div>
      <button type="button" className="button button--ghost button--small" onClick={forget}>
        Forget this screen's key
      </button>
    </main>
  );
}

export function KioskKeyScreen() {
  const [revoked, setRevoked] = useState(false);
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let again = 0;
    client.connect();
    const cameraIds = watched.get();
    void seed(api, cameraIds.length > 0 ? cameraIds : null);
    void loadCameras(api);
    const offAuth = client.on('auth_error', () => {
      void keyVerdict(() => api.me()).then((verdict) => {
        if (stopped) return;
        if (verdict === 'refused') {
          client.disconnect();
          setRevoked(true);
          return;
        }
        clearTimeout(timer);
        timer = setTimeout(
          () => {
            // disconnect() first: a client that gave up still holds the tabs' connection lock, and
            // connect() alone would not open again.
            client.disconnect();
            client.connect();
          },
          AGAIN_MS[Math.min(again++, AGAIN_MS.length - 1)],
        );
      });
    });
    const offStatus = client.on('status_change', (change) => {
      if (change.status === 'connected') again = 0;
    });
    return () => {
      stopped = true;
      clearTimeout(timer);
      offAuth();
      offStatus();
    };
  }, []);
  if (revoked) return <KeyRevoked />;
  return (
    <ReadOnly.Provider value={true}>
      <KioskShell
        onForget={() => {
          if (window.confirm("Forget this screen's key? It shows nothing until its sign-in link is opened again.")) {
            forget();
          }
        }}
      />
    </ReadOnly.Provider>
  );
}
