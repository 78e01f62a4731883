/**
 * A scriptable in-process WebSocket for the client's unit tests (timing edge cases the real
 * server cannot be made to produce on cue). It is not a server: each test plays the server's
 * part by calling `open()`, `receive()` and `serverClose()` on the socket the client created.
 * Everything the client sends is kept, parsed, in `sent`.
 */
import type { ConnectionStatusMessage, ServerMessage } from '@openeye/protocol';

type Handler<E> = ((event: E) => void) | null;

export class FakeSocket {
  static instances: FakeSocket[] = [];
  readyState = 0;
  readonly url: URL;
  readonly sent: Record<string, unknown>[] = [];
  closedWith: { code: number | undefined; reason: string | undefined } | null = null;
  onopen: Handler<unknown> = null;
  onmessage: Handler<{ data: unknown }> = null;
  onclose: Handler<{ code: number; reason: string }> = null;
  onerror: Handler<unknown> = null;

  constructor(url: string) {
    this.url = new URL(url);
    FakeSocket.instances.push(this);
  }

  static reset(): void {
    FakeSocket.instances = [];
  }

  static last(): FakeSocket {
    const socket = FakeSocket.instances.at(-1);
    if (socket === undefined) throw new Error('no socket was created');
    return socket;
  }

  send(data: string): void {
    this.sent.push(JSON.parse(data));
  }

  close(code?: number, reason?: string): void {
    this.readyState = 3;
    this.closedWith = { code, reason };
  }

  // ---- the server's part
  open(): void {
    this.readyState = 1;
    this.onopen?.({});
  }

  receive(message: ServerMessage | Record<string, unknown>): void {
    this.onmessage?.({ data: JSON.stringify(message) });
  }

  welcome(overrides: Partial<ConnectionStatusMessage> = {}): void {
    if (this.readyState === 0) this.open();
    this.receive(welcomeMessage(overrides));
  }

  serverClose(code: number, reason = ''): void {
    this.readyState = 3;
    this.onerror?.({});
    this.onclose?.({ code, reason });
  }

  sentOfType(type: string): Record<string, unknown>[] {
    return this.sent.filter((m) => m.type === type);
  }
}

export function welcomeMessage(overrides: Partial<ConnectionStatusMessage> = {}): ConnectionStatusMessage {
  const timestamp = new Date().toISOString();
  return {
    type: 'connection_status',
    timestamp,
    status: 'connected',
    connection_id: 'c1',
    user: { id: 1, username: 'admin' },
    message: 'WebSocket connection established successfully',
    protocol_version: 2,
    subscriptions: { event_types: ['statistics_update', 'camera_event', 'alert'], camera_ids: null },
    heartbeat_interval_ms: 30_000,
    token_expires_at: new Date(Date.now() + 3_600_000).toISOString(),
    resumed: null,
    last_event_id: null,
    ...overrides,
  };
}

export function alert(id: string, cameraId?: number): ServerMessage {
  return {
    type: 'alert',
    id,
    timestamp: new Date().toISOString(),
    alert_type: 'warning',
    data: cameraId === undefined ? { message: `alert ${id}` } : { message: `alert ${id}`, camera_id: cameraId },
  };
}

export function cameraEvent(id: string, cameraId = 1): ServerMessage {
  return {
    type: 'camera_event',
    id,
    timestamp: new Date().toISOString(),
    camera_id: cameraId,
    event_type: 'motion_detected',
    data: {},
  };
}

export const statistics = {
  face_recognition: { total_people: 5, recognitions_today: 42, last_recognition: null, unknown_faces_today: 3 },
  cameras: { total_cameras: 2, active_cameras: 2, recording_cameras: 1 },
  timestamp: '2025-10-10T12:00:00.000Z',
};
