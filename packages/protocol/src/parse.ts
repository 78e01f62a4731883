/**
 * The client-message parser: text frame in, either a valid command or the `error` to send back.
 * It never throws, never recurses over client data, and builds its result from allow-listed
 * fields only, so nothing the client sends (`__proto__`, `constructor`) reaches an object's prototype.
 */
import { type ErrorCode, EVENT_TYPES, type EventType, MAX_JSON_DEPTH, MAX_WATCH_FPS } from './constants.js';
import type { ClientMessage } from './schemas.js';

export type ParseResult =
  | { ok: true; message: ClientMessage }
  | { ok: false; code: ErrorCode; message: string; request_type?: string };

const MAX_TYPE_LENGTH = 64;
const MAX_EVENT_TYPES = 64;
const MAX_CAMERA_IDS = 1024;
const MAX_TOKEN_LENGTH = 8192;
const MAX_ID = 2_147_483_647;
const eventTypeSet: ReadonlySet<string> = new Set(EVENT_TYPES);

/** Nesting depth of a JSON text, counted outside strings; stops early past `limit`. */
export function jsonDepthExceeds(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (inString) {
      if (c === 92 /* \ */) i++;
      else if (c === 34 /* " */) inString = false;
    } else if (c === 34) inString = true;
    else if (c === 123 /* { */ || c === 91 /* [ */) {
      if (++depth > limit) return true;
    } else if (c === 125 /* } */ || c === 93 /* ] */) depth--;
  }
  return false;
}

function fail(code: ErrorCode, message: string, request_type?: string): ParseResult {
  return request_type === undefined ? { ok: false, code, message } : { ok: false, code, message, request_type };
}

function isId(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 1 && v <= MAX_ID;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function own(o: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(o, key) ? o[key] : undefined;
}

type ListResult = { ok: true; value: EventType[] } | { ok: false; result: ParseResult };

function parseEventTypes(raw: unknown, type: string): ListResult {
  if (!Array.isArray(raw) || raw.length > MAX_EVENT_TYPES) {
    return {
      ok: false,
      result: fail('invalid_message', `event_types must be an array of at most ${MAX_EVENT_TYPES} names`, type),
    };
  }
  const out: EventType[] = [];
  for (const name of raw) {
    if (typeof name !== 'string') {
      return { ok: false, result: fail('invalid_message', 'event_types must contain strings', type) };
    }
    if (!eventTypeSet.has(name)) {
      const shown = name.length > MAX_TYPE_LENGTH ? `${name.slice(0, MAX_TYPE_LENGTH)}…` : name;
      return {
        ok: false,
        result: fail('unknown_event_type', `Unknown event type: ${JSON.stringify(shown)}`, type),
      };
    }
    if (!out.includes(name as EventType)) out.push(name as EventType);
  }
  return { ok: true, value: out };
}

/** Parses one text frame from a client. Total: returns, never throws. */
export function parseClientMessage(text: string): ParseResult {
  if (jsonDepthExceeds(text, MAX_JSON_DEPTH)) {
    return fail('invalid_message', `JSON nesting deeper than ${MAX_JSON_DEPTH} levels`);
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return fail('invalid_json', 'Message is not valid JSON');
  }
  if (!isPlainObject(value)) return fail('invalid_message', 'Message must be a JSON object');
  const type = own(value, 'type');
  if (typeof type !== 'string') return fail('invalid_message', 'Message must have a string "type"');
  if (type.length > MAX_TYPE_LENGTH) return fail('unknown_type', 'Unknown message type');

  switch (type) {
    case 'ping': {
      const ts = own(value, 'timestamp');
      if (ts === undefined) return { ok: true, message: { type: 'ping' } };
      if ((typeof ts === 'string' && ts.length <= 64) || (typeof ts === 'number' && Number.isFinite(ts))) {
        return { ok: true, message: { type: 'ping', timestamp: ts } };
      }
      return fail('invalid_message', 'timestamp must be a string or a number', type);
    }
    case 'subscribe': {
      const types = parseEventTypes(own(value, 'event_types'), type);
      if (!types.ok) return types.result;
      const rawIds = own(value, 'camera_ids');
      if (rawIds === undefined) return { ok: true, message: { type, event_types: types.value } };
      if (rawIds === null) return { ok: true, message: { type, event_types: types.value, camera_ids: null } };
      if (!Array.isArray(rawIds) || rawIds.length > MAX_CAMERA_IDS) {
        return fail('invalid_message', `camera_ids must be null or an array of at most ${MAX_CAMERA_IDS} ids`, type);
      }
      const ids: number[] = [];
      for (const id of rawIds) {
        if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > MAX_ID) {
          return fail('invalid_message', 'camera_ids must contain positive integers', type);
        }
        if (!ids.includes(id)) ids.push(id);
      }
      return { ok: true, message: { type, event_types: types.value, camera_ids: ids } };
    }
    case 'unsubscribe': {
      const types = parseEventTypes(own(value, 'event_types'), type);
      if (!types.ok) return types.result;
      return { ok: true, message: { type, event_types: types.value } };
    }
    case 'auth': {
      const token = own(value, 'token');
      if (typeof token !== 'string' || token.length === 0 || token.length > MAX_TOKEN_LENGTH) {
        return fail('invalid_message', 'token must be a non-empty string', type);
      }
      return { ok: true, message: { type, token } };
    }
    case 'watch': {
      const cameraId = own(value, 'camera_id');
      if (!isId(cameraId)) return fail('invalid_message', 'camera_id must be a camera id', type);
      const fps = own(value, 'max_fps');
      if (fps === undefined) return { ok: true, message: { type, camera_id: cameraId } };
      if (typeof fps !== 'number' || !Number.isFinite(fps) || fps <= 0 || fps > MAX_WATCH_FPS) {
        return fail('invalid_message', `max_fps must be a number above 0 and at most ${MAX_WATCH_FPS}`, type);
      }
      return { ok: true, message: { type, camera_id: cameraId, max_fps: fps } };
    }
    case 'unwatch':
    case 'publish': {
      const cameraId = own(value, 'camera_id');
      if (!isId(cameraId)) return fail('invalid_message', 'camera_id must be a camera id', type);
      return { ok: true, message: { type, camera_id: cameraId } };
    }
    default:
      return fail('unknown_type', `Unknown message type: ${JSON.stringify(type)}`, type);
  }
}
