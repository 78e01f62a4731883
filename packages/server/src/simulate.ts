/**
 * The simulator: a producer that creates a few cameras and people if missing, then posts
 * recognitions, unknown faces, motion events and camera status changes at a set rate. It talks
 * to a running server over HTTP (`openeye simulate`) or, for `serve --demo`, to the domain directly.
 */
import type { Camera, CreateRecognitionRequest, Person, UpdateCameraRequest } from '@openeye/protocol';
import type { DomainService } from './domain/service.js';

export interface SimulatorSink {
  listCameras(): Promise<Camera[]>;
  createCamera(name: string, location: string): Promise<Camera>;
  updateCamera(id: number, patch: UpdateCameraRequest): Promise<unknown>;
  listPeople(): Promise<Person[]>;
  createPerson(name: string): Promise<Person>;
  recognition(body: CreateRecognitionRequest): Promise<unknown>;
  cameraEvent(cameraId: number, eventType: string, data: object): Promise<unknown>;
}

const CAMERAS = [
  ['Front door', 'Entrance'],
  ['Parking lot', 'Outside, north'],
  ['Lobby', 'Ground floor'],
  ['Warehouse', 'Building B'],
] as const;
const PEOPLE = ['Ada Lovelace', 'Alan Turing', 'Grace Hopper', 'Edsger Dijkstra', 'Barbara Liskov', 'Ken Thompson'];

export interface SimulatorOptions {
  /** Actions per second. */
  rate: number;
  /** Seconds to run; 0 runs until stopped. */
  duration: number;
  onProgress?: (done: number, failed: number) => void;
  random?: () => number;
}

export interface RunningSimulator {
  stop(): void;
  done: Promise<{ sent: number; failed: number }>;
}

export async function seed(sink: SimulatorSink): Promise<{ cameras: Camera[]; people: Person[] }> {
  let cameras = await sink.listCameras();
  if (cameras.length === 0) {
    for (const [name, location] of CAMERAS) await sink.createCamera(name, location);
    cameras = await sink.listCameras();
  }
  let people = await sink.listPeople();
  if (people.length === 0) {
    for (const name of PEOPLE) await sink.createPerson(name);
    people = await sink.listPeople();
  }
  return { cameras, people };
}

export async function startSimulator(sink: SimulatorSink, options: SimulatorOptions): Promise<RunningSimulator> {
  const random = options.random ?? Math.random;
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)]!;
  const { cameras, people } = await seed(sink);
  let sent = 0;
  let failed = 0;
  let stopped = false;
  let timer: NodeJS.Timeout | null = null;
  let finish!: (r: { sent: number; failed: number }) => void;
  const done = new Promise<{ sent: number; failed: number }>((r) => {
    finish = r;
  });
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    finish({ sent, failed });
  };

  const act = async () => {
    const camera = pick(cameras);
    const roll = random();
    if (roll < 0.5) {
      await sink.recognition({ camera_id: camera.id, person_id: pick(people).id, confidence: 0.8 + random() * 0.2 });
    } else if (roll < 0.65) {
      await sink.recognition({ camera_id: camera.id, person_id: null, confidence: 0.4 + random() * 0.4 });
    } else if (roll < 0.9) {
      await sink.cameraEvent(camera.id, 'motion_detected', {
        zone: 1 + Math.floor(random() * 4),
        details: 'Motion detected',
      });
    } else if (roll < 0.95) {
      camera.recording = !camera.recording;
      await sink.updateCamera(camera.id, { recording: camera.recording });
    } else {
      camera.active = !camera.active;
      await sink.updateCamera(camera.id, { active: camera.active });
    }
  };

  const started = Date.now();
  const periodMs = Math.max(5, Math.round(1000 / options.rate));
  timer = setInterval(() => {
    if (stopped) return;
    if (options.duration > 0 && Date.now() - started >= options.duration * 1000) return stop();
    act().then(
      () => {
        sent++;
        options.onProgress?.(sent, failed);
      },
      () => {
        failed++;
        options.onProgress?.(sent, failed);
      },
    );
  }, periodMs);
  return { stop, done };
}

/** The simulator's sink for the in-process demo. */
export function domainSink(domain: DomainService): SimulatorSink {
  return {
    listCameras: () => domain.listCameras(),
    createCamera: (name, location) => domain.createCamera({ name, location, recording: true }),
    updateCamera: (id, patch) => domain.updateCamera(id, patch),
    listPeople: () => domain.listPeople(),
    createPerson: (name) => domain.createPerson(name),
    recognition: (body) => domain.createRecognition(body),
    cameraEvent: (id, type, data) => domain.postCameraEvent(id, type, data),
  };
}

/** The simulator's sink for a running server, over its REST API. */
export function httpSink(baseUrl: string, token: string): SimulatorSink {
  const call = async <T>(method: string, path: string, body?: unknown): Promise<T> => {
    const res = await fetch(new URL(path, baseUrl), {
      method,
      headers: {
        authorization: `Bearer ${token}`,
        ...(body === undefined ? {} : { 'content-type': 'application/json' }),
      },
      body: body === undefined ? null : JSON.stringify(body),
    });
    if (!res.ok) throw new Error(`${method} ${path}: HTTP ${res.status} ${await res.text()}`);
    return (res.status === 204 ? undefined : await res.json()) as T;
  };
  return {
    listCameras: () => call('GET', '/api/cameras'),
    createCamera: (name, location) => call('POST', '/api/cameras', { name, location, recording: true }),
    updateCamera: (id, patch) => call('PATCH', `/api/cameras/${id}`, patch),
    listPeople: () => call('GET', '/api/people'),
    createPerson: (name) => call('POST', '/api/people', { name }),
    recognition: (body) => call('POST', '/api/recognitions', body),
    cameraEvent: (id, event_type, data) => call('POST', `/api/cameras/${id}/events`, { event_type, data }),
  };
}
