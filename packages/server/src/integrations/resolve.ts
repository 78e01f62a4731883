/**
 * Names to ids for the bridges: Frigate's cameras (created on first sight, marked `frigate`) and
 * people (matched by name, case-insensitively; created when allowed). Kept in memory; a camera or
 * person deleted meanwhile is looked up again (`forget`).
 */
import type { Camera } from '@openeye/protocol';
import type { DomainService } from '../domain/service.js';

export class CameraNames {
  private readonly ids = new Map<string, Camera>();
  private pending = new Map<string, Promise<{ camera: Camera; created: boolean }>>();

  constructor(
    private readonly domain: DomainService,
    private readonly source: string,
  ) {}

  /** The camera named `name`: an existing one (exact name first, then any case), else a new one. */
  resolve(name: string): Promise<{ camera: Camera; created: boolean }> {
    const known = this.ids.get(name);
    if (known) return Promise.resolve({ camera: known, created: false });
    let p = this.pending.get(name);
    if (!p) {
      p = this.lookup(name).finally(() => this.pending.delete(name));
      this.pending.set(name, p);
    }
    return p;
  }

  private async lookup(name: string): Promise<{ camera: Camera; created: boolean }> {
    const all = await this.domain.listCameras();
    const lower = name.toLowerCase();
    let camera = all.find((c) => c.name === name) ?? all.find((c) => c.name.toLowerCase() === lower);
    let created = false;
    if (!camera) {
      camera = await this.domain.createCamera({ name }, this.source);
      created = true;
    }
    this.ids.set(name, camera);
    return { camera, created };
  }

  /** What we know of the camera's state changed (or it is gone). */
  update(name: string, camera: Camera | null): void {
    if (camera) this.ids.set(name, camera);
    else this.ids.delete(name);
  }
}

export class PeopleNames {
  private readonly ids = new Map<string, number>();

  constructor(private readonly domain: DomainService) {}

  /** The id of the person named `name` (any case), created when `create`; null when there is none. */
  async resolve(name: string, create: boolean): Promise<{ id: number; created: boolean } | null> {
    const key = name.toLowerCase();
    const known = this.ids.get(key);
    if (known !== undefined) return { id: known, created: false };
    const person = (await this.domain.listPeople()).find((p) => p.name.toLowerCase() === key);
    if (person) {
      this.ids.set(key, person.id);
      return { id: person.id, created: false };
    }
    if (!create) return null;
    const made = await this.domain.createPerson(name);
    this.ids.set(key, made.id);
    return { id: made.id, created: true };
  }

  forget(name: string): void {
    this.ids.delete(name.toLowerCase());
  }
}
