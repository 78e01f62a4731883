/**
 * The simulator: a producer that creates a few cameras and people if missing, then posts
 * recognitions, unknown faces, motion events and camera status changes at a set rate, and gives
 * its cameras moving synthetic frames (media/synthetic.ts) while someone watches them. It talks
 * to a running server over HTTP (`openeye simulate`) or, for `serve --demo`, to the domain and the
 * media service directly.
 */
import type { Camera, CreateRecognitionRequest, Person, UpdateCameraRequest } from '@openeye/protocol';
import type { DomainService } from './domain/service.js';
import type { MediaService } from './media/service.js';
import { SyntheticCamera } from './media/synthetic.js';

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
  /** Synthetic frames for the simulator's cameras (those without a snapshot_url or mjpeg_url). */
  frames?: FrameOptions;
}

/** Where synthetic frames go: the media service in-process, or PUT /api/cameras/:id/frame. */
export interface FrameSink {
  /** Delivers a frame; resolves to how many watch the camera now. */
  push(cameraId: number, image: Buffer): Promise<number>;
  /** How many watch the camera now, when the sink can tell without pushing (in-process). */
  viewers?(cameraId: number): number;
}

export interface FrameOptions {
  sink: FrameSink;
  /** Frames per second of a watched camera (default 5); 0: no frames. */
  fps?: number;
  /**
   * An unwatched camera gets a frame this often (default 5 s): its snapshot stays fresh, and a sink
   * that learns of viewers only from a push's answer finds them within this.
   */
  idleIntervalMs?: number;
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
  const frames = options.frames?.fps === 0 ? null : options.frames ? startFrames(cameras, options.frames) : null;
  const stop = () => {
    if (stopped) return;
    stopped = true;
    if (timer) clearInterval(timer);
    frames?.stop();
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

/**
 * Synthetic frames for `cameras`: each tick (1/fps), each watched camera gets one frame, drawn and
 * encoded once; an unwatched one only every `idleIntervalMs`. A camera's push waits for the
 * previous one (a slow server is not flooded). Cameras with a real source are left alone.
 */
export function startFrames(cameras: readonly Camera[], options: FrameOptions): { stop(): void } {
  const fps = options.fps ?? 5;
  const idle = options.idleIntervalMs ?? 5000;
  const { sink } = options;
  const states = cameras
    .filter((c) => !c.snapshot_url && !c.mjpeg_url)
    .map((c, i) => ({ id: c.id, picture: new SyntheticCamera(c.name, i), viewers: 0, lastPush: 0, busy: false }));
  const tick = () => {
    const now = Date.now();
    for (const s of states) {
      const watched = (sink.viewers ? sink.viewers(s.id) : s.viewers) > 0;
      if (s.busy || (!watched && now - s.lastPush < idle)) continue;
      s.busy = true;
      s.lastPush = now;
      sink
        .push(s.id, s.picture.render(now))
        .then(
          (viewers) => {
            s.viewers = viewers;
          },
          () => {
            s.viewers = 0;
          },
        )
        .finally(() => {
          s.busy = false;
        });
    }
  };
  const timer = setInterval(tick, Math.max(20, Math.round(1000 / fps)));
  tick();
  return { stop: () => clearInterval(timer) };
}

/** Synthetic frames into this process's media service (`serve --demo`). */
export function mediaSink(media: MediaService, onFrame: () => void = () => undefined): FrameSink {
  return {
    push: async (cameraId, image) => {
      if (media.ingest(cameraId, image).ok) onFrame();
      return media.viewers(cameraId);
    },
    viewers: (cameraId) => media.viewers(cameraId),
  };
}

/** Synthetic frames pushed to a running server: its answer says how many watch. */
export function httpFrameSink(baseUrl: string, token: string): FrameSink {
  return {
    async push(cameraId, image) {
      const res = await fetch(new URL(`/api/cameras/${cameraId}/frame`, baseUrl), {
        method: 'PUT',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'image/jpeg' },
        body: image,
        signal: AbortSignal.timeout(5000),
      });
      if (!res.ok) throw new Error(`PUT frame: HTTP ${res.status}`);
      return ((await res.json()) as { viewers: number }).viewers;
    },
  };
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
