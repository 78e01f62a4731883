/**
 * The shared schemas. `ErrorResponse` is the one routes use (every error answer refers to it).
 * The others are names for the OpenAPI document only: it shows the payloads as components
 * (`#/components/schemas/Camera`, ...) instead of inlining them in every operation. Routes keep
 * their TypeBox schemas inline, so validation and serialization are what they were.
 */
import {
  AlertMessage,
  ApiKey,
  BroadcastRequest,
  Camera,
  CameraEventMessage,
  ConnectionStatistics,
  CreateAlertRequest,
  CreateApiKeyRequest,
  CreateCameraEventRequest,
  CreateCameraRequest,
  CreatedApiKey,
  CreatePersonRequest,
  CreateRecognitionRequest,
  CreateUserRequest,
  ErrorResponse,
  EventMessage,
  EventsResponse,
  LoginRequest,
  Person,
  Presence,
  PresenceWatcher,
  Recognition,
  Statistics,
  TokenResponse,
  UpdateCameraRequest,
  UpdateUserRequest,
  User,
  WsStatusResponse,
} from '@openeye/protocol';
import type { TSchema } from '@sinclair/typebox';
import type { App } from './context.js';

/**
 * Name -> schema, as @openeye/protocol exports them. `UpdatePersonRequest` is `CreatePersonRequest`
 * (the same schema), so it has no name of its own.
 */
export const NAMED_SCHEMAS: Readonly<Record<string, TSchema>> = {
  ErrorResponse,
  TokenResponse,
  LoginRequest,
  User,
  CreateUserRequest,
  UpdateUserRequest,
  Camera,
  CreateCameraRequest,
  UpdateCameraRequest,
  CreateCameraEventRequest,
  Person,
  CreatePersonRequest,
  CameraEventMessage,
  AlertMessage,
  EventMessage,
  Recognition,
  CreateRecognitionRequest,
  CreateAlertRequest,
  BroadcastRequest,
  Statistics,
  EventsResponse,
  ConnectionStatistics,
  WsStatusResponse,
  PresenceWatcher,
  Presence,
  ApiKey,
  CreateApiKeyRequest,
  CreatedApiKey,
};

/** A schema's JSON with sorted keys (TypeBox's symbol keys left out): equal schemas, equal text. */
function canonical(schema: unknown): string {
  return JSON.stringify(schema, (_key, value) =>
    value && typeof value === 'object' && !Array.isArray(value)
      ? Object.fromEntries(
          Object.keys(value as object)
            .sort()
            .map((k) => [k, (value as Record<string, unknown>)[k]]),
        )
      : value,
  );
}

const byShape = new Map<string, string>();
for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) {
  if (!byShape.has(canonical(schema))) byShape.set(canonical(schema), name);
}

/** The name of a schema equal to `schema`, if it has one. */
export function nameOf(schema: unknown): string | undefined {
  return schema && typeof schema === 'object' ? byShape.get(canonical(schema)) : undefined;
}

/**
 * A plain copy of `schema` in which every named part (the whole, unless `keepRoot`) is a reference
 * to its shared schema (`{ $ref: 'Camera#' }`).
 */
export function withRefs(schema: unknown, keepRoot = false): unknown {
  if (Array.isArray(schema)) return schema.map((s) => withRefs(s));
  if (!schema || typeof schema !== 'object') return schema;
  const name = keepRoot ? undefined : nameOf(schema);
  if (name) return { $ref: `${name}#` };
  return Object.fromEntries(Object.entries(schema).map(([k, v]) => [k, withRefs(v)]));
}

/** Registers `ErrorResponse`, which route schemas refer to; before any route. */
export function registerSchemas(app: App): void {
  app.addSchema({ ...(withRefs(ErrorResponse, true) as object), $id: 'ErrorResponse' });
}

/**
 * Registers the other names in a context of their own, where @fastify/swagger finds them but no
 * route's serializer has to carry them.
 */
export async function registerDocumentSchemas(app: App): Promise<void> {
  await app.register(async (docs) => {
    for (const [name, schema] of Object.entries(NAMED_SCHEMAS)) {
      if (name !== 'ErrorResponse') docs.addSchema({ ...(withRefs(schema, true) as object), $id: name });
    }
  });
}
