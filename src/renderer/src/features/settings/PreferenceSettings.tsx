// How Parley looks (theme, density) and how much it notifies (level, Do Not Disturb, muted
// conversations, start at login). Each choice is saved as it is made.
import type { NotifySettingsView } from '../../../../shared/ipc';
import { useChatStore, useStore } from '../../state/use-store';

type Save = (patch: Partial<NotifySettingsView>) => void;

/** A radio group whose every choice saves at once. */
function Choices<K extends 'theme' | 'density' | 'level'>({
  legend,
  name,
  value,
  options,
  save,
}: {
  legend: string;
  name: K;
  value: NotifySettingsView[K];
  options: readonly (readonly [NotifySettingsView[K], string, string?])[];
  save: Save;
}) {
  return (
    <fieldset>
      <legend>{legend}</legend>
      {options.map(([choice, label, hint]) => (
        <label key={choice} className="choice">
          <input
            type="radio"
            name={name}
            checked={value === choice}
            onChange={() => save({ [name]: choice })}
          />
          <span>
            {label}
            {hint && <span className="choice-hint">{hint}</span>}
          </span>
        </label>
      ))}
    </fieldset>
  );
}

export function AppearanceSettings({
  settings,
  save,
}: {
  settings: NotifySettingsView;
  save: Save;
}) {
  return (
    <>
      <Choices
        legend="Theme"
        name="theme"
        value={settings.theme}
        save={save}
        options={[
          ['system', 'Follow the system', 'Light or dark as your computer is set'],
          ['light', 'Light'],
          ['dark', 'Dark'],
          ['contrast', 'High contrast', 'Black and white with yellow; all text at least 7:1'],
        ]}
      />
      <Choices
        legend="Message density"
        name="density"
        value={settings.density}
        save={save}
        options={[
          ['comfortable', 'Comfortable', 'Pictures beside names, room between messages'],
          ['compact', 'Compact', 'More messages on screen: no pictures, tight rows'],
        ]}
      />
    </>
  );
}

export function NotificationSettings({
  settings,
  save,
}: {
  settings: NotifySettingsView;
  save: Save;
}) {
  const store = useChatStore();
  const conversations = useStore((s) => s.conversations);
  const platform = useStore((s) => s.info?.platform);
  return (
    <>
      <Choices
        legend="Notify me about"
        name="level"
        value={settings.level}
        save={save}
        options={[
          ['all', 'Every message'],
          ['direct-and-mentions', 'Direct messages and mentions only'],
          ['none', 'Nothing'],
        ]}
      />
      <fieldset>
        <legend>Quiet</legend>
        <label className="choice">
          <input
            type="checkbox"
            checked={settings.doNotDisturb}
            onChange={(e) => save({ doNotDisturb: e.target.checked })}
          />
          <span>
            Do Not Disturb
            <span className="choice-hint">No notifications at all until you turn it off</span>
          </span>
        </label>
        {platform !== 'web' && (
          <label className="choice">
            <input
              type="checkbox"
              checked={settings.startAtLogin}
              onChange={(e) => save({ startAtLogin: e.target.checked })}
            />
            <span>Start Parley when I log in</span>
          </label>
        )}
      </fieldset>
      <fieldset>
        <legend>Muted conversations</legend>
        {settings.muted.length === 0 && <p className="hint">None. Mute one from its header.</p>}
        <ul className="plain-list">
          {settings.muted.map((key) => (
            <li key={key}>
              {conversations.get(key)?.name ?? key}{' '}
              <button
                type="button"
                className="secondary small"
                onClick={() => void store.attempt(() => store.accounts.toggleMute(key))}
              >
                Unmute
              </button>
            </li>
          ))}
        </ul>
      </fieldset>
    </>
  );
}
