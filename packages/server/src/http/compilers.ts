/**
 * Fastify's schema compilers, made lazy (idle memory, issue 16, docs/benchmarks.md).
 *
 * Fastify compiles every route's response serializers (fast-json-stringify, generated code per
 * route and status) when the server starts, and loads its default validator compiler
 * (@fastify/ajv-compiler, hence ajv) even when a route never validates with it. Here the
 * serializer of a route and status is compiled on its first response, by Fastify's own default
 * compiler (the same code, the same shared schemas), loaded on first use; the validators are the
 * ones http/body.ts installs (also compiled on first use), so Fastify's default never loads.
 * The tests call every route, so a schema that does not compile still fails a test.
 */
import { createRequire } from 'node:module';
import type { FastifyServerOptions } from 'fastify';

type Serialize = (data: unknown) => string;
type SerializerFactory = (
  externalSchemas: unknown,
  options: unknown,
) => (route: { schema: unknown; method: string; url: string; httpStatus: string }) => Serialize;

let defaultFactory: SerializerFactory | null = null;

/** Fastify's default serializer factory, from the copy of its compiler that Fastify itself uses. */
function fastifyDefaultSerializers(): SerializerFactory {
  if (!defaultFactory) {
    const require = createRequire(import.meta.url);
    const fromFastify = createRequire(require.resolve('fastify'));
    const selector = fromFastify('@fastify/fast-json-stringify-compiler') as () => SerializerFactory;
    defaultFactory = selector();
  }
  return defaultFactory;
}

const lazySerializers: SerializerFactory = (externalSchemas, options) => {
  let compiler: ReturnType<SerializerFactory> | null = null;
  return (route) => {
    let serialize: Serialize | null = null;
    return (data) => {
      if (!serialize) {
        compiler ??= fastifyDefaultSerializers()(externalSchemas, options);
        serialize = compiler(route);
      }
      return serialize(data);
    };
  };
};

/**
 * The `schemaController` option. The validator compiler given here is a placeholder: http/body.ts
 * sets the real one (`setValidatorCompiler`) before any route; giving one keeps Fastify from
 * loading its ajv-based default.
 */
export const lazyCompilers: FastifyServerOptions['schemaController'] = {
  compilersFactory: {
    buildValidator: () => () => {
      throw new Error('no validator compiler: installInputRules (http/body.ts) sets it');
    },
    buildSerializer: lazySerializers as NonNullable<
      NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']
    >['buildSerializer'],
  },
};
