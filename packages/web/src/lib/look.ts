/**
 * How an event reads to an operator, the same in the live feed, the history and an event's detail:
 * an icon, a tone, a title and one line of detail.
 */
import type { EventMessage } from '@openeye/protocol';
import { humanize, percent } from './format';

export interface EventLook {
  icon:
    | 'warning'
    | 'critical'
    | 'info'
    | 'recognized'
    | 'unknown'
    | 'motion'
    | 'power'
    | 'record'
    | 'activity'
    | 'bell';
  tone: 'critical' | 'warning' | 'info' | 'success' | 'danger' | 'muted';
  title: string;
  detail: string | null;
}

/** Who sent an admin broadcast (from an alert's data), or null for any other alert. */
export function broadcastSender(data: unknown): string | null {
  const d = data as Record<string, unknown>;
  return d.broadcast === true && typeof d.from === 'string' ? d.from : null;
}

const ACTION_WORDS: Record<string, string> = {
  acknowledge: 'acknowledged',
  resolve: 'resolved',
  reopen: 'reopened',
  assign: 'assigned',
};

export function lookOf(event: EventMessage): EventLook {
  if (event.type === 'alert') {
    const sender = broadcastSender(event.data);
    return {
      icon: event.alert_type,
      tone: event.alert_type,
      title: event.data.message || `${humanize(event.alert_type)} alert`,
      detail: sender ? `Broadcast by ${sender}` : `${humanize(event.alert_type)} alert`,
    };
  }
  if (event.type === 'alert_update') {
    const by = event.by ? ` by ${event.by.username}` : '';
    return {
      icon: 'bell',
      tone: event.state === 'resolved' ? 'success' : 'muted',
      title: `Alert ${ACTION_WORDS[event.action] ?? event.action}${by}`,
      detail: event.note,
    };
  }
  const d = event.data;
  const confidence = percent(d.confidence);
  const details = typeof d.details === 'string' ? d.details : null;
  switch (event.event_type) {
    case 'face_recognized':
      return {
        icon: 'recognized',
        tone: 'success',
        title: `${typeof d.person_name === 'string' ? d.person_name : 'Someone'} recognized`,
        detail: confidence ? `${confidence} confidence` : null,
      };
    case 'unknown_face':
      return {
        icon: 'unknown',
        tone: 'warning',
        title: 'Unknown face',
        detail: confidence ? `${confidence} confidence` : null,
      };
    case 'motion_detected':
    case 'motion':
      return {
        icon: 'motion',
        tone: 'info',
        title: 'Motion detected',
        detail: typeof d.zone === 'number' ? `Zone ${d.zone}` : details,
      };
    case 'camera_online':
      return { icon: 'power', tone: 'success', title: 'Camera online', detail: null };
    case 'camera_offline':
      return { icon: 'power', tone: 'danger', title: 'Camera offline', detail: null };
    case 'recording_started':
      return { icon: 'record', tone: 'danger', title: 'Recording started', detail: null };
    case 'recording_stopped':
      return { icon: 'record', tone: 'muted', title: 'Recording stopped', detail: null };
    default:
      return { icon: 'activity', tone: 'muted', title: humanize(event.event_type), detail: details };
  }
}
