// The desktop's settings (notifications, start at login, ICE servers, theme, density), kept in settings.json.
import { join } from 'node:path';
import type { NotifySettingsView } from '../../shared/ipc.js';
import { readJson, writeJsonAtomic } from './json-file.js';

const DEFAULT_SETTINGS: NotifySettingsView = {
  level: 'all',
  muted: [],
  doNotDisturb: false,
  startAtLogin: false,
  iceServers: [],
  relayOnly: false,
  theme: 'system',
  density: 'comfortable',
};
function isSettings(v: unknown): v is NotifySettingsView {
  return typeof v === 'object' && v !== null && 'level' in v && 'muted' in v;
}

export class SettingsFile {
  private readonly file: string;
  private settings: NotifySettingsView;

  constructor(dataDir: string) {
    this.file = join(dataDir, 'settings.json');
    this.settings = { ...DEFAULT_SETTINGS, ...readJson(this.file, DEFAULT_SETTINGS, isSettings) };
  }

  /** The settings as they are now (read-only: change them with `set`). */
  get current(): Readonly<NotifySettingsView> {
    return this.settings;
  }

  /** A copy the caller may keep. */
  view(): NotifySettingsView {
    return {
      ...this.settings,
      muted: [...this.settings.muted],
      iceServers: [...this.settings.iceServers],
    };
  }

  set(patch: Partial<NotifySettingsView>): NotifySettingsView {
    this.settings = { ...this.settings, ...patch };
    writeJsonAtomic(this.file, this.settings);
    return this.view();
  }
}
