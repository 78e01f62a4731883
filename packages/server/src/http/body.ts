/**
 * How request input is read. Bodies are validated strictly: no type coercion (a number where a
 * string belongs, or `["admin"]` for a username, is a 400 naming the field; `null` stays `null`).
 * Query strings and path parameters arrive as text, so they are coerced to the schema's types.
 * A JSON body nested deeper than MAX_BODY_DEPTH is refused before it is parsed.
 */

import { createRequire } from 'node:module';
import { jsonDepthExceeds, MAX_BODY_DEPTH } from '@openeye/protocol';
import type { Ajv, Options } from 'ajv';
import type { FastifyInstance, FastifySchemaValidationError } from 'fastify';
import { badRequest } from '../domain/errors.js';

const common: Options = { removeAdditional: true, useDefaults: true, allErrors: false, strict: false };

/**
 * An Ajv instance. ajv and ajv-formats are loaded here, on the first validator compiled, not at
 * start (idle memory, docs/benchmarks.md): they are CommonJS, so `require` loads them on demand.
 */
function ajv(options: Options): Ajv {
  const require = createRequire(import.meta.url);
  const { Ajv: AjvClass } = require('ajv') as typeof import('ajv');
  const addFormats = require('ajv-formats') as { default: (a: Ajv) => void };
  const instance = new AjvClass({ ...common, ...options });
  addFormats.default(instance);
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

type Validator = ((data: unknown) => boolean) & { errors?: FastifySchemaValidationError[] | null };

/**
 * A route's validator, compiled on its first use: compiling every route's schemas at start costs
 * seconds of CPU and megabytes of heap most routes never need (idle memory, docs/benchmarks.md).
 * The tests call every route, so a schema that does not compile still fails a test.
 */
function lazyValidator(compile: () => Validator): Validator {
  let compiled: Validator | null = null;
  const validate: Validator = (data) => {
    compiled ??= compile();
    const valid = compiled(data);
    validate.errors = compiled.errors;
    return valid;
  };
  return validate;
}

export function installInputRules(app: FastifyInstance): void {
  let strict: Ajv | null = null;
  let coercing: Ajv | null = null;
  app.setValidatorCompiler(({ schema, httpPart }) =>
    lazyValidator(() => {
      if (httpPart === 'body') strict ??= ajv({ coerceTypes: false });
      else coercing ??= ajv({ coerceTypes: 'array' });
      const instance = httpPart === 'body' ? strict : coercing;
      return instance!.compile(schema as object) as Validator;
    }),
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
