/**
 * The connection indicator of the original dashboard (🟢 Live, 🟡 Connecting, 🔵 Polling) plus
 * reconnecting and error with its reason. The colour is a drawn dot (emoji fonts are not
 * everywhere); the emoji is in the tooltip and the status is in text for screen readers.
 */
import type { ConnectionStatus } from '@openeye/client';
import { useConnectionStatus } from '@openeye/client/react';

const LOOK: Record<ConnectionStatus, { emoji: string; label: string; hint: string }> = {
  connected: { emoji: '🟢', label: 'Live', hint: 'Connected: updates arrive as they happen' },
  connecting: { emoji: '🟡', label: 'Connecting', hint: 'Opening the live connection' },
  reconnecting: { emoji: '🟠', label: 'Reconnecting', hint: 'The live connection dropped; retrying' },
  polling: {
    emoji: '🔵',
    label: 'Polling',
    hint: 'The live connection is unavailable; fetching updates over HTTP meanwhile',
  },
  error: { emoji: '🔴', label: 'Error', hint: 'Not connected' },
  disconnected: { emoji: '⚪', label: 'Offline', hint: 'Not connected' },
};

export function StatusIndicator({ compact = false }: { compact?: boolean }) {
  const { status, reason } = useConnectionStatus();
  const look = LOOK[status];
  const showReason = reason !== null && (status === 'error' || status === 'reconnecting' || status === 'polling');
  const title = `${look.emoji} ${look.label}: ${look.hint}${reason ? ` (${reason})` : ''}`;
  return (
    <div
      className={`status status--${status}${compact ? ' status--compact' : ''}`}
      role="status"
      aria-live="polite"
      data-status={status}
      data-testid="connection-status"
      title={title}
    >
      <span className="status-dot" aria-hidden="true" />
      <span className="status-label">{look.label}</span>
      {showReason && !compact ? <span className="status-reason">{reason}</span> : null}
      {showReason && compact ? <span className="sr-only">: {reason}</span> : null}
    </div>
  );
}
