// Settings, one tab per subject: the profile, how Parley looks, what notifies, calls, and the
// account (password, storage).
import type { NotifySettingsView } from '../../../../shared/ipc';
import { useChatStore, useStore } from '../../state/use-store';
import { Dialog } from '../../ui/Dialog';
import { Tabs } from '../../ui/Tabs';
import { AccountSettings } from './AccountSettings';
import { CallSettings } from './CallSettings';
import { AppearanceSettings, NotificationSettings } from './PreferenceSettings';
import { ProfileSettings } from './ProfileSettings';

export function SettingsDialog({ onClose }: { onClose: () => void }) {
  const store = useChatStore();
  const settings = useStore((s) => s.settings);
  const save = (patch: Partial<NotifySettingsView>) =>
    void store.attempt(() => store.accounts.updateSettings(patch));
  if (!settings) return null;
  return (
    <Dialog title="Settings" onClose={onClose} className="settings-dialog">
      <Tabs
        label="Settings sections"
        tabs={[
          { id: 'profile', label: 'Profile', content: <ProfileSettings /> },
          {
            id: 'appearance',
            label: 'Appearance',
            content: <AppearanceSettings settings={settings} save={save} />,
          },
          {
            id: 'notifications',
            label: 'Notifications',
            content: <NotificationSettings settings={settings} save={save} />,
          },
          {
            id: 'calls',
            label: 'Calls',
            content: (
              <CallSettings
                iceServers={settings.iceServers}
                relayOnly={settings.relayOnly}
                save={(patch) => store.accounts.updateSettings(patch)}
              />
            ),
          },
          { id: 'account', label: 'Account', content: <AccountSettings /> },
        ]}
      />
    </Dialog>
  );
}
