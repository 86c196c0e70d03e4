// The microphone, camera and speaker a person chose, remembered on this computer.

export type DeviceKind = 'audioinput' | 'videoinput' | 'audiooutput';
export type DevicePrefs = Partial<Record<DeviceKind, string>>;

const KEY = 'parley.devices';

export function loadDevicePrefs(): DevicePrefs {
  try {
    const v = JSON.parse(localStorage.getItem(KEY) ?? '{}') as unknown;
    if (typeof v !== 'object' || v === null) return {};
    const out: DevicePrefs = {};
    for (const k of ['audioinput', 'videoinput', 'audiooutput'] as const) {
      const id = (v as Record<string, unknown>)[k];
      if (typeof id === 'string' && id.length <= 200) out[k] = id;
    }
    return out;
  } catch {
    return {};
  }
}

export function saveDevicePref(kind: DeviceKind, deviceId: string): DevicePrefs {
  const prefs = { ...loadDevicePrefs(), [kind]: deviceId };
  localStorage.setItem(KEY, JSON.stringify(prefs));
  return prefs;
}

/** getUserMedia constraints that prefer the chosen devices (and fall back if they are gone). */
export function mediaConstraints(
  video: boolean,
  prefs = loadDevicePrefs(),
): MediaStreamConstraints {
  return {
    audio: prefs.audioinput ? { deviceId: { ideal: prefs.audioinput } } : true,
    video: video ? (prefs.videoinput ? { deviceId: { ideal: prefs.videoinput } } : true) : false,
  };
}
