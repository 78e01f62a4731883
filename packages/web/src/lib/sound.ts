/**
 * An optional short beep when a critical alert arrives: off by default, a setting of this browser
 * (localStorage `openeye.alert-sound`), toggled from the alert list's header. WebAudio, no file.
 */
import { Store } from './store';

export const SOUND_KEY = 'openeye.alert-sound';

function readSetting(): boolean {
  try {
    return globalThis.localStorage?.getItem(SOUND_KEY) === 'on';
  } catch {
    return false;
  }
}

export const alertSound = new Store<boolean>(readSetting(), { sync: true });

export function setAlertSound(on: boolean): void {
  try {
    if (on) localStorage.setItem(SOUND_KEY, 'on');
    else localStorage.removeItem(SOUND_KEY);
  } catch {
    // private mode: the setting lasts for this page only
  }
  alertSound.set(on);
  // Turned on by a click: the browser lets an AudioContext start now (autoplay rules).
  if (on) audio();
}

let context: AudioContext | null = null;

function audio(): AudioContext | null {
  if (typeof AudioContext === 'undefined') return null;
  try {
    context ??= new AudioContext();
    if (context.state === 'suspended') void context.resume().catch(() => {});
    return context;
  } catch {
    return null;
  }
}

/** Beeps closer together than this are one: a burst of critical alerts beeps once, not per alert. */
const BEEP_GAP_MS = 1500;
let lastBeep = Number.NEGATIVE_INFINITY;

/** Two short tones (about 0.3 s), when the setting is on; at most one every 1.5 s. */
export function beepForCritical(): void {
  if (!alertSound.get()) return;
  const ctx = audio();
  if (!ctx) return;
  if (Date.now() - lastBeep < BEEP_GAP_MS) return;
  lastBeep = Date.now();
  const start = ctx.currentTime;
  for (const [offset, frequency] of [
    [0, 880],
    [0.18, 660],
  ] as const) {
    const osc = ctx.createOscillator();
    const gain = ctx.createGain();
    osc.type = 'sine';
    osc.frequency.value = frequency;
    gain.gain.setValueAtTime(0.0001, start + offset);
    gain.gain.exponentialRampToValueAtTime(0.2, start + offset + 0.02);
    gain.gain.exponentialRampToValueAtTime(0.0001, start + offset + 0.14);
    osc.connect(gain).connect(ctx.destination);
    osc.start(start + offset);
    osc.stop(start + offset + 0.15);
  }
}
