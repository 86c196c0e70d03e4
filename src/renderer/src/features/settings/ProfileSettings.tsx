// The profile: the name others see, and a picture.
import { useState, type FormEvent } from 'react';
import { describe } from '../../state/chat-store';
import { useChatStore, useStore } from '../../state/use-store';
import { Avatar } from '../../ui/Avatar';
import { Field } from '../../ui/Field';
import { squarePicture } from './square-picture';

/** The name others see, and a picture: any image, cut to its middle square and made small here. */
export function ProfileSettings() {
  const store = useChatStore();
  const me = useStore((s) => (s.status?.state === 'online' ? s.status.user : undefined));
  const hasPicture = useStore((s) => (me ? Boolean(s.avatars.get(me.userId)) : false));
  const [name, setName] = useState(me?.displayName ?? '');
  const [notice, setNotice] = useState<{ ok: boolean; text: string } | null>(null);
  if (!me) {
    return (
      <fieldset>
        <legend>Name and picture</legend>
        <p className="hint">Connect to the server to change your name or picture.</p>
      </fieldset>
    );
  }
  const run = (what: () => Promise<unknown>, done: string) =>
    void what()
      .then(() => setNotice({ ok: true, text: done }))
      .catch((err: unknown) => setNotice({ ok: false, text: describe(err).message }));
  return (
    <fieldset>
      <legend>Name and picture</legend>
      <div className="profile-row">
        <Avatar userId={me.userId} name={me.displayName} size={56} />
        <label className="file-label secondary">
          {hasPicture ? 'Change picture…' : 'Add a picture…'}
          <input
            type="file"
            accept="image/png,image/jpeg,image/webp,image/gif"
            className="visually-hidden"
            onChange={(e) => {
              const file = e.target.files?.[0];
              e.target.value = '';
              if (!file) return;
              run(
                async () => store.accounts.setAvatar(await squarePicture(file)),
                'Picture saved.',
              );
            }}
          />
        </label>
        {hasPicture && (
          <button
            type="button"
            className="secondary"
            onClick={() => run(() => store.accounts.setAvatar(null), 'Picture removed.')}
          >
            Remove picture
          </button>
        )}
      </div>
      <form
        className="profile-name"
        onSubmit={(e: FormEvent) => {
          e.preventDefault();
          run(() => store.accounts.setDisplayName(name), 'Name saved.');
        }}
      >
        <Field label="Display name">
          {(tie) => (
            <input value={name} maxLength={64} onChange={(e) => setName(e.target.value)} {...tie} />
          )}
        </Field>
        <button
          type="submit"
          className="primary"
          disabled={!name.trim() || name.trim() === me.displayName}
        >
          Save name
        </button>
      </form>
      {notice && (
        <p role={notice.ok ? 'status' : 'alert'} className={notice.ok ? 'hint' : 'form-error'}>
          {notice.text}
        </p>
      )}
    </fieldset>
  );
}
