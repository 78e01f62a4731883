/**
 * How request input is read. Bodies are validated strictly: no type coercion (a number where a
 * string belongs, or `["admin"]` for a username, is a 400 naming the field; `null` stays `null`).
 * Query strings and path parameters arrive as text, so they are coerced to the schema's types.
 * A JSON body nested deeper than MAX_BODY_DEPTH is refused before it is parsed.
 */
import { jsonDepthExceeds, MAX_BODY_DEPTH } from '@openeye/protocol';
import { Ajv, type Options } from 'ajv';
import addFormats from 'ajv-formats';
import type { FastifyInstance } from 'fastify';
import { badRequest } from '../domain/errors.js';

const common: Options = { removeAdditional: true, useDefaults: true, allErrors: false, strict: false };

function ajv(options: Options): Ajv {
  const instance = new Ajv({ ...common, ...options });
  (addFormats as unknown as (a: Ajv) => void)(instance);
  return instance;
}

let bodies: Ajv | null = null;

/**
 * The validator REST bodies get (strict, no coercion, unknown properties removed), for other ways
 * in that take the same payloads (MQTT ingest): the same schema gives the same answer.
 */
export function compileBody<T>(schema: object): ((data: unknown) => data is T) & {
  errors?: { instancePath: string; message?: string }[] | null;
} {
  bodies ??= ajv({ coerceTypes: false });
  return bodies.compile<T>(schema);
}

export function installInputRules(app: FastifyInstance): void {
  const strict = ajv({ coerceTypes: false });
  const coercing = ajv({ coerceTypes: 'array' });
  app.setValidatorCompiler(({ schema, httpPart }) =>
    (httpPart === 'body' ? strict : coercing).compile(schema as object),
  );

  const parseJson = app.getDefaultJsonParser('error', 'error');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (req, body, done) => {
    if (jsonDepthExceeds(body as string, MAX_BODY_DEPTH)) {
      done(badRequest(`body: JSON nested deeper than ${MAX_BODY_DEPTH} levels`, 'body'), undefined);
      return;
    }
    parseJson(req, body as string, done);
  });
}
