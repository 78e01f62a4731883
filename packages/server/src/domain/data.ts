/**
 * Free-form producer `data` (alerts, camera events): bounded in size and depth, and free of the
 * fields the server alone sets. Checked in the domain, so every way in (REST, the embedding API,
 * bridges) gets the same answer.
 */
import { jsonDepthExceeds, MAX_DATA_BYTES, MAX_DATA_DEPTH, SERVER_ALERT_FIELDS } from '@openeye/protocol';
import { badRequest } from './errors.js';

/** `data` as a record; throws a 400 naming `field` when it is no JSON object, too large or too deep. */
export function checkData(data: object, field = 'data'): Record<string, unknown> {
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw badRequest(`${field} must be a JSON object`, field);
  }
  let text: string;
  try {
    text = JSON.stringify(data);
  } catch {
    throw badRequest(`${field} must be plain JSON`, field);
  }
  if (Buffer.byteLength(text) > MAX_DATA_BYTES) {
    throw badRequest(`${field} is larger than ${MAX_DATA_BYTES} bytes of JSON`, field);
  }
  if (jsonDepthExceeds(text, MAX_DATA_DEPTH)) {
    throw badRequest(`${field} is nested deeper than ${MAX_DATA_DEPTH} levels`, field);
  }
  return data as Record<string, unknown>;
}

/** Alert data: the camera it names must be a camera id, and server-only fields are refused. */
export function checkAlertData(data: Record<string, unknown>): void {
  checkData(data);
  for (const key of SERVER_ALERT_FIELDS) {
    if (Object.hasOwn(data, key)) throw badRequest(`data.${key} is set by the server only`, `data.${key}`);
  }
  if (Object.hasOwn(data, 'camera_id')) {
    const id = data.camera_id;
    if (typeof id !== 'number' || !Number.isInteger(id) || id < 1 || id > 2_147_483_647) {
      throw badRequest("data.camera_id must be a camera's integer id (or left out)", 'data.camera_id');
    }
  }
}
