import path from 'node:path';
import type { Blueprint } from '../../shared/blueprint/schema.js';
import type { Platform } from '../../shared/contract/run-state.js';
import type { StationStore } from '../store/station-store.js';
import { loadBlueprint, loadBlueprintSources } from './blueprint-loader.js';

/** A stored blueprint version and its id in the station's database. */
export interface StoredBlueprint {
  blueprint: Blueprint;
  id: number;
}

/** What assignment and orders need to know of the loaded blueprints. */
export interface BlueprintLookup {
  /** The newest loaded version of a blueprint by its name (as order files name it). */
  byName(name: string): StoredBlueprint | null;
  /** The blueprint a device of this platform gets on a station without orders. */
  defaultFor(platform: Platform): StoredBlueprint | null;
  names(): string[];
}

/** Default blueprint per platform, by the names order files use (CONTRACT.md). */
const DEFAULT_BLUEPRINTS: Record<Platform, string> = {
  ios: 'school-ipad',
  android: 'android-tablet',
  notebook: 'notebook-checklist',
  serial: 'serial-device',
};

/** The station's blueprints: the defaults in resources/blueprints (with variants/), those named by --blueprint (blueprints or variants), and older versions runs still use. */
export class BlueprintCatalog implements BlueprintLookup {
  private readonly byId = new Map<number, Blueprint>();
  private readonly current = new Map<Platform, StoredBlueprint>();

  constructor(private readonly store: StationStore) {}

  /** Loads and stores the default blueprints and the extra files; an extra file becomes the current one of its platform. */
  load(resourcesDir: string, extraFiles: readonly string[], now: string): void {
    const dir = path.join(resourcesDir, 'blueprints');
    // The defaults and their variants (resources/blueprints/variants/); a variant resolves against its parent's file.
    const defaults = loadBlueprintSources(dir);
    const extra = extraFiles.map((f) => ({ bp: loadBlueprint(path.resolve(f), [path.join(dir, 'baselines')]), file: f }));
    for (const { blueprint: bp, file } of defaults) {
      const id = this.store.saveBlueprint(bp, file, now);
      this.byId.set(id, bp);
      if (DEFAULT_BLUEPRINTS[bp.platform] === bp.id) this.current.set(bp.platform, { blueprint: bp, id });
    }
    // Blueprints named on the command line become the current batch of their platform.
    for (const { bp, file } of extra) {
      const id = this.store.saveBlueprint(bp, path.resolve(file), now);
      this.byId.set(id, bp);
      this.current.set(bp.platform, { blueprint: bp, id });
    }
  }

  byName(name: string): StoredBlueprint | null {
    let best: StoredBlueprint | null = null;
    for (const [id, bp] of this.byId) {
      if (bp.id === name && (!best || bp.version > best.blueprint.version)) best = { blueprint: bp, id };
    }
    return best;
  }

  defaultFor(platform: Platform): StoredBlueprint | null {
    return this.current.get(platform) ?? null;
  }

  names(): string[] {
    return [...new Set([...this.byId.values()].map((b) => b.id))].sort();
  }

  /** A blueprint by its stored id; a version no longer in the files is read back from the database. */
  get(id: number): Blueprint {
    let bp = this.byId.get(id);
    if (!bp) {
      bp = this.store.getBlueprint(id);
      this.byId.set(id, bp);
    }
    return bp;
  }
}
