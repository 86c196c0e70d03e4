// The microphone and camera toggles every call's controls start with (1:1, mesh and SFU calls
// alike): the same names, icons and pressed state, so the tests and people find them the same.
import { ToolButton } from '../../ui/ToolButton';

export function MicToggle({ muted, onChange }: { muted: boolean; onChange(muted: boolean): void }) {
  return (
    <ToolButton
      label={muted ? 'Unmute microphone' : 'Mute microphone'}
      icon={muted ? 'mic-off' : 'mic'}
      pressed={muted}
      onClick={() => onChange(!muted)}
    />
  );
}

export function CameraToggle({ off, onChange }: { off: boolean; onChange(off: boolean): void }) {
  return (
    <ToolButton
      label={off ? 'Camera on' : 'Camera off'}
      icon={off ? 'video-off' : 'video'}
      pressed={off}
      onClick={() => onChange(!off)}
    />
  );
}
