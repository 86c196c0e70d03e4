// Notification settings: how much notifies, Do Not Disturb, muted conversations; start at login.
import type { NotifySettingsView } from '../../../../shared/ipc';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const store = useChatStore();
  const settings = useStore((s) => s.settings);
  const conversations = useStore((s) => s.conversations);
  const platform = useStore((s) => s.info?.platform);
  const set = (patch: Partial<NotifySettingsView>) =>
    void store.attempt(() => store.updateSettings(patch));
  if (!settings) return null;
  return (
    <Dialog title="Settings" onClose={onClose}>
      <fieldset>
        <legend>Notifications</legend>
        <label>
          <input
            type="radio"
            name="level"
            checked={settings.level === 'all'}
            onChange={() => set({ level: 'all' })}
          />{' '}
          Every message
        </label>
        <label>
          <input
            type="radio"
            name="level"
            checked={settings.level === 'direct-and-mentions'}
            onChange={() => set({ level: 'direct-and-mentions' })}
          />{' '}
          Direct messages and mentions only
        </label>
        <label>
          <input
            type="radio"
            name="level"
            checked={settings.level === 'none'}
            onChange={() => set({ level: 'none' })}
          />{' '}
          Nothing
        </label>
      </fieldset>
      <label className="toggle">
        <input
          type="checkbox"
          checked={settings.doNotDisturb}
          onChange={(e) => set({ doNotDisturb: e.target.checked })}
        />{' '}
        Do Not Disturb (no notifications at all until you turn it off)
      </label>
      {platform !== 'web' && (
        <label className="toggle">
          <input
            type="checkbox"
            checked={settings.startAtLogin}
            onChange={(e) => set({ startAtLogin: e.target.checked })}
          />{' '}
          Start Parley when I log in
        </label>
      )}
      <fieldset>
        <legend>Muted conversations</legend>
        {settings.muted.length === 0 && <p className="hint">None. Mute one from its header.</p>}
        <ul>
          {settings.muted.map((key) => (
            <li key={key}>
              {conversations.get(key)?.name ?? key}{' '}
              <button
                type="button"
                className="secondary small"
                onClick={() => void store.attempt(() => store.toggleMute(key))}
              >
                Unmute
              </button>
            </li>
          ))}
        </ul>
      </fieldset>
    </Dialog>
  );
}
