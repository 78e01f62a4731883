/**
 * Kiosk mode (`?kiosk=1` on any page, or `/kiosk`): full screen, no navigation or header, large type; the
 * numbers, the live feed, the cameras and the alerts. The client reconnects forever (no attempt
 * limit), so a wall screen recovers by itself after any outage. Signed in as a person, or with a
 * kiosk key (KioskKey.tsx: read-only, never expires).
 */
import { useOpenEyeClient, useStatistics } from '@openeye/client/react';
import { cameras } from '../lib/cameras';
import { isStale, useLink } from '../lib/connection';
import { clockTime, formatCount } from '../lib/format';
import { useNow, useTitle } from '../lib/hooks';
import { live } from '../lib/live';
import { useStore } from '../lib/store';
import { Feed } from './Feed';
import { Icon, Logo } from './Icon';
import { KioskCameras } from './KioskCameras';
import { StatCard } from './StatCard';
import { ConnectionBanner, StatusIndicator } from './StatusIndicator';
import { Toasts } from './Toasts';

export { isKiosk } from '../lib/kiosk-key';

/** `onForget`: a discreet button that forgets this screen's kiosk key (no sign-out on a wall). */
export function KioskShell({ onForget }: { onForget?: () => void } = {}) {
  useTitle('Wall');
  const stats = useStatistics();
  const state = useStore(live);
  const { list } = useStore(cameras);
  const now = useNow(1000);
  const stale = isStale(useLink(useOpenEyeClient()).state);
  const fr = stats?.face_recognition;
  const cams = stats?.cameras;
  return (
    <div className="kiosk" data-testid="kiosk">
      <main className="kiosk-main" id="main">
        <div className="kiosk-head">
          <div className="kiosk-brand">
            <Logo size={36} />
            <h1>OpenEye</h1>
          </div>
          <time className="kiosk-clock num" dateTime={new Date(now).toISOString()}>
            {clockTime(new Date(now).toISOString())}
          </time>
          <StatusIndicator />
          {onForget ? (
            <button
              type="button"
              className="icon-button kiosk-forget"
              onClick={onForget}
              aria-label="Forget this screen's key"
              title="Forget this screen's key"
              data-testid="kiosk-forget"
            >
              <Icon name="logout" size={16} />
            </button>
          ) : null}
        </div>
        <ConnectionBanner />
        <div className={`kiosk-stats${stale ? ' is-stale' : ''}`} data-stale={stale}>
          <StatCard label="Total people" icon="users" value={formatCount(fr?.total_people)} testId="stat-people" />
          <StatCard
            label="Recognitions today"
            icon="recognized"
            tone="success"
            value={formatCount(fr?.recognitions_today)}
            testId="stat-recognitions"
          />
          <StatCard
            label="Unknown faces today"
            icon="unknown"
            tone="warning"
            value={formatCount(fr?.unknown_faces_today)}
            testId="stat-unknown"
          />
          <StatCard
            label="Cameras active"
            icon="camera"
            tone="info"
            value={cams ? `${formatCount(cams.active_cameras)} / ${formatCount(cams.total_cameras)}` : '—'}
            testId="stat-cameras-kiosk"
          />
        </div>
        <div className="kiosk-grid">
          <KioskCameras stale={stale} />
          <Feed
            items={state.feed}
            cameras={list}
            seeded={state.seeded}
            alerts={state.alerts}
            alertsLoaded={state.alertsLoaded}
            stale={stale}
          />
        </div>
      </main>
      <Toasts cameras={list} />
    </div>
  );
}
