/**
 * The connection as an operator should read it, from the client's status and details:
 *
 * - `live`: the socket is up;
 * - `connecting`: the first attempt;
 * - `reconnecting`: the socket dropped, attempt n, next try in s (also while the first polls are
 *   still under way: nothing is known yet);
 * - `polling`: the socket is unavailable but polls succeed, so data is current;
 * - `limited`: like polling, but because this account has too many tabs open (per-user limit);
 * - `offline`: neither works; what is on screen is from `staleSince`;
 * - `signed-out`: the client gave up (credentials refused).
 *
 * `staleSince` is the last moment data was known to be current (live, or a poll that succeeded).
 */
import type { OpenEyeClient } from '@openeye/client';
import { CloseReason } from '@openeye/protocol/constants';
import { useEffect, useState } from 'react';

export type LinkState = 'live' | 'connecting' | 'reconnecting' | 'polling' | 'limited' | 'offline' | 'signed-out';

export interface LinkInfo {
  state: LinkState;
  attempt: number;
  /** Seconds until the next attempt, or null when none is scheduled. */
  nextInS: number | null;
  /** When data was last known current (ms since epoch), null before the first. */
  staleSince: number | null;
  /** The technical reason (close code and text), for a details tooltip only. */
  details: string | null;
  /** With a shared connection: whether this tab holds it (`leader`) or gets it relayed (`follower`). */
  tabRole: 'leader' | 'follower' | null;
}

let lastGoodAt: number | null = null;

export function readLink(client: OpenEyeClient, now = Date.now()): LinkInfo {
  const status = client.getStatus();
  const d = client.getConnectionDetails();
  const lastPollOk = d.lastPollOkAt;
  if (status === 'connected') lastGoodAt = now;
  else if (lastPollOk !== null && (lastGoodAt === null || lastPollOk > lastGoodAt) && d.pollOk) lastGoodAt = lastPollOk;
  const limited = d.lastClose?.reason === CloseReason.CONNECTION_LIMIT;
  const details = d.lastClose ? `${d.lastClose.reason || 'Connection closed'} (${d.lastClose.code})` : null;
  const nextInS = d.nextAttemptAt === null ? null : Math.max(0, Math.ceil((d.nextAttemptAt - now) / 1000));
  const base = {
    attempt: d.attempt,
    nextInS,
    staleSince: lastGoodAt,
    details: details ?? client.getLastError(),
    tabRole: client.getTabRole(),
  };
  switch (status) {
    case 'connected':
      return { ...base, state: 'live', details: null };
    case 'connecting':
      return { ...base, state: 'connecting' };
    case 'error':
      return { ...base, state: 'signed-out' };
    case 'disconnected':
      return { ...base, state: 'offline' };
    case 'reconnecting':
      return { ...base, state: 'reconnecting' };
    case 'polling':
      if (d.pollOk === false) return { ...base, state: 'offline' };
      if (d.pollOk === null) return { ...base, state: limited ? 'limited' : 'reconnecting' };
      return { ...base, state: limited ? 'limited' : 'polling' };
  }
}

/** The link state, re-read on every status change and every `intervalMs` (countdowns, poll results). */
export function useLink(client: OpenEyeClient, intervalMs = 500): LinkInfo {
  const [info, setInfo] = useState(() => readLink(client));
  useEffect(() => {
    const update = () =>
      setInfo((prev) => {
        const next = readLink(client);
        return prev.state === next.state &&
          prev.attempt === next.attempt &&
          prev.nextInS === next.nextInS &&
          prev.staleSince === next.staleSince &&
          prev.details === next.details &&
          prev.tabRole === next.tabRole
          ? prev
          : next;
      });
    const off = client.on('status_change', update);
    const timer = setInterval(update, intervalMs);
    update();
    return () => {
      off();
      clearInterval(timer);
    };
  }, [client, intervalMs]);
  return info;
}

/** Whether what is on screen may be out of date. */
export function isStale(state: LinkState): boolean {
  return state === 'offline' || state === 'signed-out';
}
