/**
 * The connection as an operator reads it (lib/connection.ts): Live; Reconnecting (attempt n, next
 * try in s); Polling only while polls succeed; Offline with the time the data is from; too many
 * tabs open. Plain words on screen; the technical reason (close code) only in the tooltip. When
 * not live, a "Retry now" button skips the wait. `data-status` is the client's own status.
 */
import { useConnectionStatus, useOpenEyeClient } from '@openeye/client/react';
import { type LinkInfo, useLink } from '../lib/connection';
import { clockTime } from '../lib/format';

const COLOUR: Record<LinkInfo['state'], string> = {
  live: 'connected',
  connecting: 'connecting',
  reconnecting: 'reconnecting',
  polling: 'polling',
  limited: 'polling',
  offline: 'error',
  'signed-out': 'error',
};

export function describeLink(info: LinkInfo): { label: string; detail: string | null; hint: string } {
  const since = info.staleSince === null ? null : clockTime(new Date(info.staleSince).toISOString());
  switch (info.state) {
    case 'live':
      return { label: 'Live', detail: null, hint: 'Connected: updates arrive as they happen.' };
    case 'connecting':
      return { label: 'Connecting', detail: null, hint: 'Opening the live connection.' };
    case 'reconnecting':
      return {
        label: 'Reconnecting',
        detail:
          info.nextInS === null
            ? `attempt ${Math.max(1, info.attempt)}`
            : `attempt ${Math.max(1, info.attempt)}, next try in ${info.nextInS} s`,
        hint: 'The live connection dropped; trying again. What you see is kept until it is back.',
      };
    case 'polling':
      return {
        label: 'Polling',
        detail: 'updates every few seconds',
        hint: 'The live connection is unavailable; updates are fetched every few seconds meanwhile.',
      };
    case 'limited':
      return {
        label: 'Too many open tabs',
        detail: 'updates every few seconds',
        hint: 'Your account has the most live connections allowed. Close other OpenEye tabs or windows, then choose Retry now.',
      };
    case 'offline':
      return {
        label: 'Offline',
        detail: since ? `data may be stale since ${since}` : 'no data yet',
        hint: 'The server cannot be reached. The numbers and events shown may be out of date; OpenEye keeps trying.',
      };
    case 'signed-out':
      return { label: 'Not connected', detail: 'sign in again', hint: 'The server did not accept this session.' };
  }
}

export function StatusIndicator({ compact = false }: { compact?: boolean }) {
  const client = useOpenEyeClient();
  const { status } = useConnectionStatus();
  const info = useLink(client);
  const { label, detail, hint } = describeLink(info);
  const title = `${hint}${info.details ? `\nDetails: ${info.details}` : ''}`;
  return (
    <div
      className={`status status--${COLOUR[info.state]}${compact ? ' status--compact' : ''}`}
      role="status"
      aria-live="polite"
      data-status={status}
      data-state={info.state}
      data-tab-role={info.tabRole ?? undefined}
      data-testid="connection-status"
      title={title}
    >
      <span className="status-dot" aria-hidden="true" />
      <span className="status-label">{label}</span>
      {detail && !compact ? <span className="status-reason">{detail}</span> : null}
      {detail && compact ? <span className="sr-only">: {detail}</span> : null}
    </div>
  );
}

/**
 * Under the header while not live: what it means for the operator, what to do, and "Retry now".
 * Nothing while live or connecting for the first time.
 */
export function ConnectionBanner() {
  const client = useOpenEyeClient();
  const info = useLink(client);
  if (info.state === 'live' || info.state === 'connecting' || info.state === 'polling') return null;
  const { label, detail } = describeLink(info);
  const tone = info.state === 'offline' || info.state === 'signed-out' ? 'danger' : 'warning';
  const text =
    info.state === 'limited'
      ? 'Your account already has the most live connections allowed, so this tab fetches updates every few seconds instead. Close other OpenEye tabs or windows, then choose Retry now.'
      : info.state === 'offline'
        ? 'The server cannot be reached. Numbers, events and camera states on this page may be out of date. OpenEye keeps trying by itself.'
        : info.state === 'signed-out'
          ? 'The server did not accept this session. Sign out and sign in again.'
          : 'The live connection dropped. What you see stays on screen; new events appear when it is back.';
  return (
    <div className={`conn-banner conn-banner--${tone}`} data-testid="connection-banner" data-state={info.state}>
      <div className="conn-banner-inner">
        <strong>
          {label}
          {detail ? ` — ${detail}` : ''}.
        </strong>{' '}
        <span className="conn-banner-text">{text}</span>
        {info.state !== 'signed-out' ? (
          <button type="button" className="button button--small" onClick={() => client.retryNow()}>
            Retry now
          </button>
        ) : null}
      </div>
    </div>
  );
}
