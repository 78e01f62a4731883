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
import { DomainError } from '../domain/errors.js';
import type { App, RouteContext } from './context.js';
import { WITH_SNAPSHOT } from './multipart.js';
import { operations } from './operation.js';

export function resourceRoutes(app: App, ctx: RouteContext): void {
  const { domain } = ctx;
  const operation = operations(ctx.guard);
  const admin = ['admin'] as const;
  const write = ['admin', 'producer'] as const;

  app.get(
    '/api/cameras',
    operation({
      operationId: 'listCameras',
      summary: 'Every camera',
      tag: 'cameras',
      auth: 'user',
      response: { 200: Type.Array(Camera) },
    }),
    (req) => domain.listCameras(req.user!.access),
  );
  app.get(
    '/api/cameras/:id',
    operation({
      operationId: 'getCamera',
      summary: 'One camera',
      tag: 'cameras',
      auth: 'user',
      params: IdParams,
      response: { 200: Camera },
      errors: ['not_found'],
    }),
    (req) => domain.getCamera(req.params.id, req.user!.access),
  );
  app.post(
    '/api/cameras',
    operation({
      operationId: 'createCamera',
      summary: 'Add a camera',
      tag: 'cameras',
      auth: admin,
      body: CreateCameraRequest,
      response: { 201: Camera },
    }),
    async (req, reply) => reply.code(201).send(await domain.createCamera(req.body)),
  );
  app.patch(
    '/api/cameras/:id',
    operation({
      operationId: 'updateCamera',
      summary:
        'Update a camera; a change of active or recording also becomes a camera event (snapshot_url and mjpeg_url: admins only)',
      tag: 'cameras',
      auth: write,
      params: IdParams,
      body: UpdateCameraRequest,
      response: { 200: Camera },
      errors: ['not_found'],
    }),
    (req) => {
      // Producers set status; where the server fetches frames from (and its credentials) is an admin's.
      if (req.user!.role !== 'admin' && (req.body.snapshot_url !== undefined || req.body.mjpeg_url !== undefined)) {
        throw new DomainError('forbidden', 'Only an admin may set snapshot_url or mjpeg_url');
      }
      return domain.updateCamera(req.params.id, req.body, req.user!.access);
    },
  );
  app.delete(
    '/api/cameras/:id',
    operation({
      operationId: 'deleteCamera',
      summary: 'Remove a camera and its recognitions',
      tag: 'cameras',
      auth: admin,
      params: IdParams,
      response: { 204: Type.Null() },
      errors: ['not_found'],
    }),
    async (req, reply) => {
      await domain.deleteCamera(req.params.id);
      return reply.code(204).send(null);
    },
  );
  app.post(
    '/api/cameras/:id/events',
    operation({
      operationId: 'createCameraEvent',
      summary: 'Post a camera event: stored, then sent to every subscribed connection',
      tag: 'cameras',
      auth: write,
      params: IdParams,
      body: CreateCameraEventRequest,
      consumes: WITH_SNAPSHOT,
      response: { 201: CameraEventMessage },
      errors: ['not_found'],
    }),
    async (req, reply) =>
      reply.code(201).send(
        await domain.postCameraEvent(req.params.id, req.body.event_type, req.body.data, {
          access: req.user!.access,
          image: req.snapshot ?? undefined,
        }),
      ),
  );

  app.get(
    '/api/people',
    operation({
      operationId: 'listPeople',
      summary: 'Every known person',
      tag: 'people',
      auth: 'user',
      response: { 200: Type.Array(Person) },
    }),
    () => domain.listPeople(),
  );
  app.post(
    '/api/people',
    operation({
      operationId: 'createPerson',
      summary: 'Add a known person',
      tag: 'people',
      auth: write,
      body: CreatePersonRequest,
      response: { 201: Person },
    }),
    async (req, reply) => reply.code(201).send(await domain.createPerson(req.body.name)),
  );
  app.patch(
    '/api/people/:id',
    operation({
      operationId: 'updatePerson',
      summary: 'Rename a person',
      tag: 'people',
      auth: write,
      params: IdParams,
      body: UpdatePersonRequest,
      response: { 200: Person },
      errors: ['not_found'],
    }),
    (req) => domain.renamePerson(req.params.id, req.body.name),
  );
  app.delete(
    '/api/people/:id',
    operation({
      operationId: 'deletePerson',
      summary: 'Remove a person; their recognitions stay, without the person',
      tag: 'people',
      auth: write,
      params: IdParams,
      response: { 204: Type.Null() },
      errors: ['not_found'],
    }),
    async (req, reply) => {
      await domain.deletePerson(req.params.id);
      return reply.code(204).send(null);
    },
  );
}
