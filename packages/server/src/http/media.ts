/**
 * Camera media over HTTP: producers push a frame (`PUT /api/cameras/:id/frame`, the raw image as the
 * body), dashboards fetch a camera's newest frame (`GET /api/cameras/:id/snapshot`, for thumbnails).
 */
import { FRAME_CONTENT_TYPES, IdParams } from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import { DomainError, notFound } from '../domain/errors.js';
import type { MediaService } from '../media/service.js';
import type { Metrics } from '../ops/metrics.js';
import type { App, RouteContext } from './context.js';
import { operations } from './operation.js';

const FrameAccepted = Type.Object({
  camera_id: Type.Integer(),
  seq: Type.Integer(),
  content_type: Type.String(),
  width: Type.Integer(),
  height: Type.Integer(),
  bytes: Type.Integer(),
  /** Connections watching the camera on this node now: a producer may send only while someone looks. */
  viewers: Type.Integer(),
});

/** The cookie that carries the token for /api/media in a browser (set on login and refresh). */
export const MEDIA_COOKIE = 'openeye_media';

function cookie(header: string | undefined, name: string): string | null {
  for (const part of (header ?? '').split(';')) {
    const eq = part.indexOf('=');
    if (eq > 0 && part.slice(0, eq).trim() === name) return part.slice(eq + 1).trim();
  }
  return null;
}

export function mediaRoutes(app: App, ctx: RouteContext, media: MediaService, metrics: Metrics): void {
  const { domain, config } = ctx;
  const operation = operations(ctx.guard);

  // Images are read as raw bytes, bounded before they are read whole (413 from the Content-Length,
  // or as soon as a chunked body passes the limit).
  app.addContentTypeParser(
    [...FRAME_CONTENT_TYPES],
    { parseAs: 'buffer', bodyLimit: config.maxFrameBytes },
    (_req, body, done) => done(null, body),
  );

  app.put(
    '/api/cameras/:id/frame',
    {
      ...operation({
        operationId: 'pushCameraFrame',
        summary: "Push a camera's newest frame (image/jpeg, image/png or image/webp body)",
        tag: 'media',
        auth: ['admin', 'producer'],
        params: IdParams,
        consumes: FRAME_CONTENT_TYPES,
        response: { 200: FrameAccepted },
        errors: ['not_found', 'payload_too_large', 'unsupported_media_type'],
      }),
      bodyLimit: config.maxFrameBytes,
    },
    async (req) => {
      // The camera must exist and be the producer's to push to (a camera it may not see: 404).
      await domain.getCamera(req.params.id, req.user!.access);
      const body = req.body;
      if (!Buffer.isBuffer(body)) throw new DomainError('unsupported_media_type', 'Send the image as the body');
      const result = media.ingest(req.params.id, body);
      if (!result.ok) throw new DomainError(result.code, result.message);
      metrics.mediaFramesIngested.inc({ source: 'http' });
      const f = result.frame;
      return {
        camera_id: f.cameraId,
        seq: f.seq,
        content_type: f.contentType,
        width: f.width,
        height: f.height,
        bytes: f.image.length,
        viewers: media.viewers(f.cameraId),
      };
    },
  );

  // An event's snapshot: to anyone who may see its camera, with the bearer token or the media cookie.
  const snapshotRead = operation({
    operationId: 'getMedia',
    summary: "An event's snapshot image (the `url` of its `snapshot`); bearer token or the media cookie",
    tag: 'media',
    auth: 'user',
    params: IdParams,
    response: { 200: Type.Any({ description: 'The image (image/jpeg, image/png or image/webp)' }) },
    errors: ['not_found'],
  });
  app.get(
    '/api/media/:id',
    {
      ...snapshotRead,
      onRequest: async (req) => {
        const fromCookie = req.headers.authorization ? null : cookie(req.headers.cookie, MEDIA_COOKIE);
        if (fromCookie) req.headers.authorization = `Bearer ${fromCookie}`;
      },
    },
    async (req, reply) => {
      const stored = await ctx.store.media.byId(req.params.id);
      // Gone (pruned), never there, or about a camera this user may not see: all 404.
      if (!stored || !req.user!.access.canSee(stored.camera_id)) throw notFound('Snapshot');
      return reply
        .type(stored.content_type)
        .header('cache-control', 'private, max-age=86400, immutable')
        .header('x-content-type-options', 'nosniff')
        .send(stored.bytes);
    },
  );

  app.get(
    '/api/cameras/:id/snapshot',
    operation({
      operationId: 'getCameraSnapshot',
      summary: "The camera's newest frame, as an image (404 while none has arrived)",
      tag: 'media',
      auth: 'user',
      params: IdParams,
      response: { 200: Type.Any({ description: 'The image (image/jpeg, image/png or image/webp)' }) },
      errors: ['not_found'],
    }),
    async (req, reply) => {
      await domain.getCamera(req.params.id, req.user!.access);
      const frame = media.latestFrame(req.params.id);
      if (!frame) throw notFound('A frame of this camera');
      return reply
        .type(frame.contentType)
        .header('cache-control', 'no-store')
        .header('x-frame-timestamp', new Date(frame.timestamp).toISOString())
        .header('x-frame-seq', String(frame.seq))
        .send(frame.image);
    },
  );
}
