/** Cameras and people: CRUD, camera status and camera events. */
import {
  Camera,
  CameraEventMessage,
  CreateCameraEventRequest,
  CreateCameraRequest,
  CreatePersonRequest,
  IdParams,
  Person,
  UpdateCameraRequest,
  UpdatePersonRequest,
} from '@openeye/protocol';
import { Type } from '@sinclair/typebox';
import { type App, errors, type RouteContext } from './context.js';

export function resourceRoutes(app: App, ctx: RouteContext): void {
  const { domain, guard } = ctx;
  const read = guard();
  const admin = guard('admin');
  const write = guard('admin', 'producer');
  const security = [{ bearer: [] }];

  app.get(
    '/api/cameras',
    { preHandler: read, schema: { tags: ['cameras'], security, response: { 200: Type.Array(Camera), ...errors } } },
    (req) => domain.listCameras(req.user!.access),
  );
  app.get(
    '/api/cameras/:id',
    {
      preHandler: read,
      schema: { tags: ['cameras'], security, params: IdParams, response: { 200: Camera, ...errors } },
    },
    (req) => domain.getCamera(req.params.id, req.user!.access),
  );
  app.post(
    '/api/cameras',
    {
      preHandler: admin,
      schema: { tags: ['cameras'], security, body: CreateCameraRequest, response: { 201: Camera, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await domain.createCamera(req.body)),
  );
  app.patch(
    '/api/cameras/:id',
    {
      preHandler: write,
      schema: {
        tags: ['cameras'],
        summary: 'Update a camera; a change of active or recording also becomes a camera event',
        security,
        params: IdParams,
        body: UpdateCameraRequest,
        response: { 200: Camera, ...errors },
      },
    },
    (req) => domain.updateCamera(req.params.id, req.body, req.user!.access),
  );
  app.delete(
    '/api/cameras/:id',
    {
      preHandler: admin,
      schema: { tags: ['cameras'], security, params: IdParams, response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      await domain.deleteCamera(req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/cameras/:id/events',
    {
      preHandler: write,
      schema: {
        tags: ['cameras'],
        summary: 'Post a camera event: stored, then sent to every subscribed connection',
        security,
        params: IdParams,
        body: CreateCameraEventRequest,
        response: { 201: CameraEventMessage, ...errors },
      },
    },
    async (req, reply) =>
      reply
        .code(201)
        .send(await domain.postCameraEvent(req.params.id, req.body.event_type, req.body.data, req.user!.access)),
  );

  app.get(
    '/api/people',
    { preHandler: read, schema: { tags: ['people'], security, response: { 200: Type.Array(Person), ...errors } } },
    () => domain.listPeople(),
  );
  app.post(
    '/api/people',
    {
      preHandler: write,
      schema: { tags: ['people'], security, body: CreatePersonRequest, response: { 201: Person, ...errors } },
    },
    async (req, reply) => reply.code(201).send(await domain.createPerson(req.body.name)),
  );
  app.patch(
    '/api/people/:id',
    {
      preHandler: write,
      schema: {
        tags: ['people'],
        security,
        params: IdParams,
        body: UpdatePersonRequest,
        response: { 200: Person, ...errors },
      },
    },
    (req) => domain.renamePerson(req.params.id, req.body.name),
  );
  app.delete(
    '/api/people/:id',
    {
      preHandler: write,
      schema: { tags: ['people'], security, params: IdParams, response: { 204: Type.Null(), ...errors } },
    },
    async (req, reply) => {
      await domain.deletePerson(req.params.id);
      return reply.code(204).send(null);
    },
  );
}
