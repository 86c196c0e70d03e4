// Calls: STUN and TURN servers of the user's own, and relaying every call through TURN.
import { useState } from 'react';
import type { NotifySettingsView } from '../../../../shared/ipc';
import type { IceServer } from '../../../../shared/protocol';

/** One server per line: `URL` or `URL username credential`. */
export function parseIceLines(text: string): IceServer[] | string {
  const out: IceServer[] = [];
  for (const [i, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (!line) continue;
    const [urls, username, credential, ...rest] = line.split(/\s+/);
    if (!/^(stun|stuns|turn|turns):\S+$/.test(urls!) || rest.length > 0) {
      return `Line ${i + 1}: a stun: or turn: address, then a user name and credential for TURN.`;
    }
    if (username !== undefined && credential === undefined) {
      return `Line ${i + 1}: a TURN user name needs its credential too.`;
    }
    out.push({
      urls: urls!,
      ...(username ? { username } : {}),
      ...(credential ? { credential } : {}),
    });
  }
  return out;
}

export function CallSettings({
  iceServers,
  relayOnly,
  save,
}: {
  iceServers: IceServer[];
  relayOnly: boolean;
  save: (patch: Partial<NotifySettingsView>) => Promise<void>;
}) {
  const [text, setText] = useState(() =>
    iceServers
      .map((s) =>
        [Array.isArray(s.urls) ? s.urls[0] : s.urls, s.username, s.credential]
          .filter(Boolean)
          .join(' '),
      )
      .join('\n'),
  );
  const [problem, setProblem] = useState<string | null>(null);
  return (
    <fieldset>
      <legend>Calls</legend>
      <label>
        STUN and TURN servers (one per line; leave empty to use the server&apos;s)
        <textarea
          rows={3}
          value={text}
          placeholder="turn:turn.example.org:3478 username credential"
          onChange={(e) => setText(e.target.value)}
          onBlur={() => {
            const parsed = parseIceLines(text);
            if (typeof parsed === 'string') return setProblem(parsed);
            setProblem(null);
            void save({ iceServers: parsed }).catch((err: Error) => setProblem(err.message));
          }}
        />
      </label>
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      <label className="toggle">
        <input
          type="checkbox"
          checked={relayOnly}
          onChange={(e) => void save({ relayOnly: e.target.checked })}
        />{' '}
        Relay calls through TURN only (the other side never learns this computer&apos;s address)
      </label>
    </fieldset>
  );
}
