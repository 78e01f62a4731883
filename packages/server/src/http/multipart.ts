/**
 * `multipart/form-data` on the producer routes: a part `event` (the same JSON as the plain body,
 * validated by the same schema) and a part `snapshot` (a JPEG, PNG or WebP stored with the event).
 * Bounded while it is read: one JSON part of at most 256 KiB, one image of at most
 * OPENEYE_MAX_FRAME_BYTES (then 413), nothing else.
 */
import { Busboy } from '@fastify/busboy';
import type { FastifyRequest } from 'fastify';
import { DomainError } from '../domain/errors.js';
import type { App } from './context.js';

declare module 'fastify' {
  interface FastifyRequest {
    /** The image of a multipart request (its `snapshot` part), if any. */
    snapshot: Buffer | null;
  }
}

const MAX_JSON_PART = 256 * 1024;

/** The request bodies of a producer route that may carry a snapshot. */
export const WITH_SNAPSHOT = ['application/json', 'multipart/form-data'] as const;

export function installMultipart(app: App, maxImageBytes: number): void {
  app.decorateRequest('snapshot', null);
  app.addContentTypeParser('multipart/form-data', (req, payload, done) => {
    read(req, payload, maxImageBytes).then(
      (body) => done(null, body),
      (err: Error) => done(err, undefined),
    );
  });
}

function read(req: FastifyRequest, payload: NodeJS.ReadableStream, maxImageBytes: number): Promise<unknown> {
  return new Promise((resolve, reject) => {
    let json: string | null = null;
    let failed = false;
    const fail = (err: DomainError) => {
      if (failed) return;
      failed = true;
      payload.unpipe?.();
      reject(err);
    };
    let parser: InstanceType<typeof Busboy>;
    try {
      parser = new Busboy({
        headers: req.headers as { 'content-type': string },
        limits: { fields: 1, files: 1, parts: 2, fieldSize: MAX_JSON_PART, fileSize: maxImageBytes, headerPairs: 20 },
      });
    } catch {
      reject(new DomainError('bad_request', 'The multipart body could not be read'));
      return;
    }
    parser.on('field', (name: string, value: string, _nameTruncated: boolean, valueTruncated: boolean) => {
      if (name !== 'event')
        return fail(new DomainError('validation_error', 'Unknown part: send "event" and "snapshot"', name));
      if (valueTruncated) return fail(new DomainError('validation_error', 'The event part is too large', 'event'));
      json = value;
    });
    parser.on('file', (name: string, stream: NodeJS.ReadableStream & { truncated?: boolean }) => {
      if (name !== 'snapshot') {
        stream.resume();
        return fail(new DomainError('validation_error', 'Unknown part: send "event" and "snapshot"', name));
      }
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('limit', () =>
        fail(new DomainError('payload_too_large', `The snapshot may have at most ${maxImageBytes} bytes`, 'snapshot')),
      );
      stream.on('end', () => {
        if (!stream.truncated) req.snapshot = Buffer.concat(chunks);
      });
    });
    for (const limit of ['partsLimit', 'filesLimit', 'fieldsLimit']) {
      parser.on(limit, () =>
        fail(new DomainError('validation_error', 'Send one "event" part and at most one "snapshot" part', 'body')),
      );
    }
    parser.on('error', () => fail(new DomainError('bad_request', 'The multipart body could not be read')));
    parser.on('finish', () => {
      if (failed) return;
      if (json === null)
        return fail(new DomainError('validation_error', 'The "event" part (JSON) is missing', 'event'));
      try {
        resolve(JSON.parse(json));
      } catch {
        fail(new DomainError('validation_error', 'The "event" part is not JSON', 'event'));
      }
    });
    payload.pipe(parser);
  });
}
