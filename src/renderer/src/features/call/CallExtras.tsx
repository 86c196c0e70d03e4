// What travels over the call's data channels: files (progress, cancel, SHA-256 checked on
// arrival) and the call's own chat.
import { useRef, useState, type FormEvent } from 'react';
import { Icon } from '../../ui/Icon';
import type { Transfer } from './file-transfer';
import { useCall, useCallStore } from './use-call';

function size(bytes: number): string {
  return bytes >= 1024 * 1024
    ? `${(bytes / 1024 / 1024).toFixed(1)} MB`
    : `${Math.ceil(bytes / 1024)} KB`;
}

function TransferRow({ t, group }: { t: Transfer & { with: string }; group: boolean }) {
  const store = useCallStore();
  const active = t.state === 'sending' || t.state === 'receiving';
  // In a group call a file goes to each person separately: say to or from whom.
  const whom = group ? ` ${t.direction === 'out' ? 'to' : 'from'} ${t.with}` : '';
  const label = `${t.direction === 'out' ? 'Sending' : 'Receiving'} ${t.name}${whom}`;
  const offeredToMe = t.state === 'offered' && t.direction === 'in';
  return (
    <li
      className={`transfer transfer-${t.state}`}
      aria-label={label}
      data-started={t.startedAt}
      data-finished={t.finishedAt}
      data-max-buffered={t.maxBuffered}
    >
      <span className="transfer-name">
        {t.direction === 'out' ? '↑' : '↓'} {t.name}
        {whom} <span className="hint">{size(t.size)}</span>
      </span>
      {active && (
        <>
          <progress max={t.size} value={t.done} aria-label={`${label}: progress`} />
          <button type="button" className="small" onClick={() => store.cancelTransfer(t.id)}>
            Cancel
          </button>
        </>
      )}
      {offeredToMe && (
        <>
          <span className="hint">wants to send you this file</span>
          <button type="button" className="small" onClick={() => store.acceptTransfer(t.id)}>
            Accept
          </button>
          <button type="button" className="small" onClick={() => store.declineTransfer(t.id)}>
            Decline
          </button>
        </>
      )}
      {t.state === 'offered' && t.direction === 'out' && (
        <>
          <span className="hint">Waiting for them to accept…</span>
          <button type="button" className="small" onClick={() => store.cancelTransfer(t.id)}>
            Cancel
          </button>
        </>
      )}
      {t.state === 'declined' && <span className="hint">{t.problem ?? 'Declined.'}</span>}
      {t.state === 'verifying' && <span className="hint">Checking…</span>}
      {t.state === 'done' && t.direction === 'in' && t.url && (
        <>
          <span className="ok" data-sha256={t.sha256}>
            SHA-256 verified
          </span>
          <a href={t.url} download={t.name}>
            Save
          </a>
        </>
      )}
      {t.state === 'done' && t.direction === 'out' && <span className="ok">Sent</span>}
      {t.state === 'cancelled' && <span className="hint">Cancelled</span>}
      {t.state === 'failed' && (
        <span className="form-error">{t.problem ?? 'The call ended before it was sent.'}</span>
      )}
      {t.state === 'corrupt' && (
        <span className="form-error" role="alert">
          It arrived damaged (SHA-256 differs) and was discarded.
        </span>
      )}
    </li>
  );
}

export function CallExtras() {
  const store = useCallStore();
  const { transfers, chat, state, group } = useCall();
  const [text, setText] = useState('');
  const [problem, setProblem] = useState<string | null>(null);
  const picker = useRef<HTMLInputElement>(null);
  const connected = state.phase === 'connected' || state.phase === 'reconnecting';
  function say(e: FormEvent) {
    e.preventDefault();
    store.say(text);
    setText('');
  }
  return (
    <div className="call-extras">
      {/* A real button; the file input it opens stays hidden (UX-3 gap 6: a bare "Choose File"). */}
      <button
        type="button"
        className="secondary file-pick"
        disabled={!connected}
        onClick={() => picker.current?.click()}
      >
        <Icon name="paperclip" /> Send a file…
      </button>
      <input
        ref={picker}
        type="file"
        hidden
        aria-label="Send a file"
        disabled={!connected}
        onChange={(e) => {
          const file = e.target.files?.[0];
          e.target.value = '';
          if (file) {
            setProblem(null);
            store.sendFile(file).catch((err: Error) => setProblem(err.message));
          }
        }}
      />
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      {transfers.length > 0 && (
        <ul className="transfers" aria-label="Files in this call">
          {transfers.map((t) => (
            <TransferRow key={`${t.with}|${t.id}`} t={t} group={group !== undefined} />
          ))}
        </ul>
      )}
      <h3 className="call-chat-title" id="call-chat-title">
        Chat in this call <span className="hint">(not kept after the call)</span>
      </h3>
      <ul className="call-chat" aria-labelledby="call-chat-title">
        {chat.map((m, i) => (
          <li key={i} className={m.mine ? 'mine' : ''}>
            {m.mine ? 'You' : (m.from ?? 'Them')}: {m.text}
          </li>
        ))}
      </ul>
      <form onSubmit={say} className="call-chat-form">
        <input
          aria-label="Message in call"
          placeholder="Say something to everyone in the call"
          value={text}
          disabled={!connected}
          maxLength={4000}
          onChange={(e) => setText(e.target.value)}
        />
        <button type="submit" disabled={!connected || !text.trim()}>
          Say
        </button>
      </form>
    </div>
  );
}
