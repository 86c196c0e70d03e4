// Choose the microphone, camera and speaker (remembered). Device names are only known once
// Parley may use them, so the list is read during a call.
import { useEffect, useState } from 'react';
import { loadDevicePrefs, saveDevicePref, type DeviceKind } from './devices';
import { useCallStore } from './use-call';

const LABELS: Record<DeviceKind, string> = {
  audioinput: 'Microphone',
  videoinput: 'Camera',
  audiooutput: 'Speaker',
};

export function DevicePicker({ onSpeaker }: { onSpeaker: (deviceId: string) => void }) {
  const store = useCallStore();
  const [devices, setDevices] = useState<MediaDeviceInfo[]>([]);
  const [prefs, setPrefs] = useState(loadDevicePrefs);
  const [problem, setProblem] = useState<string | null>(null);
  useEffect(() => {
    const read = () =>
      void navigator.mediaDevices.enumerateDevices().then(setDevices, () => setDevices([]));
    read();
    navigator.mediaDevices.addEventListener('devicechange', read);
    return () => navigator.mediaDevices.removeEventListener('devicechange', read);
  }, []);
  return (
    <div className="device-picker">
      {(Object.keys(LABELS) as DeviceKind[]).map((kind) => {
        const list = devices.filter((d) => d.kind === kind);
        if (list.length === 0) return null;
        return (
          <label key={kind}>
            {LABELS[kind]}
            <select
              value={prefs[kind] ?? list[0]!.deviceId}
              onChange={(e) => {
                const id = e.target.value;
                setProblem(null);
                if (kind === 'audiooutput') {
                  setPrefs(saveDevicePref(kind, id));
                  onSpeaker(id);
                  return;
                }
                setPrefs({ ...prefs, [kind]: id });
                store
                  .chooseDevice(kind, id)
                  .catch((err: Error) =>
                    setProblem(
                      `That ${LABELS[kind].toLowerCase()} could not be used: ${err.message}`,
                    ),
                  );
              }}
            >
              {list.map((d, i) => (
                <option key={d.deviceId || i} value={d.deviceId}>
                  {d.label || `${LABELS[kind]} ${i + 1}`}
                </option>
              ))}
            </select>
          </label>
        );
      })}
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
    </div>
  );
}
