// The call on screen: who, its state and timer, both videos, and the controls. An incoming call
// is a dialog with Accept and Decline, and rings.
import { useEffect, useRef, useState } from 'react';
import type { CallView, EndReason } from './call-store';
import { ToolButton } from '../../ui/ToolButton';
import { FullScreenButton, NameTile, PersonTile, Video } from './CallTiles';
import { CameraToggle, MicToggle } from './MediaToggles';
import { CallExtras } from './CallExtras';
import { CallStats } from './CallStats';
import { DevicePicker } from './DevicePicker';
import { loadDevicePrefs } from './devices';
import { formatDuration } from '../../ui/duration';
import { useCall, useCallStore } from './use-call';

const ENDED: Record<EndReason, string> = {
  'hung up': 'Call ended.',
  declined: 'They declined the call.',
  busy: 'They are in another call.',
  'no answer': 'No answer.',
  offline: 'They are offline.',
  failed: 'The call failed.',
  cancelled: 'The call was cancelled.',
  'answered elsewhere': 'Answered on another device.',
  'the other side hung up': 'They hung up.',
  'everyone left': 'Everyone else left the call.',
  'too many people': 'Too many people for a group call.',
  'no camera or microphone': 'No camera or microphone was found.',
  'permission denied': 'Parley is not allowed to use the camera or microphone.',
};

export function Timer({ since }: { since: number }) {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), 1000);
    return () => clearInterval(t);
  }, []);
  return (
    <span className="call-timer" role="timer">
      {formatDuration(now - since)}
    </span>
  );
}

/** "Ben", "Ben and Cat", "Ben, Cat and Dan". */
function names(list: string[]): string {
  if (list.length <= 1) return list[0] ?? 'no one';
  return `${list.slice(0, -1).join(', ')} and ${list.at(-1)!}`;
}

function statusText(v: CallView): string {
  const everyone = names(v.participants.map((p) => p.name));
  const inCall = names(v.participants.filter((p) => p.phase === 'connected').map((p) => p.name));
  switch (v.state.phase) {
    case 'outgoing':
      return `Calling ${v.group ? `#${v.group}` : everyone}…`;
    case 'incoming':
      return `${v.from?.name ?? 'Someone'} is calling`;
    case 'connecting':
      return `Connecting to ${everyone}…`;
    case 'connected':
      return `In a call with ${inCall}`;
    case 'reconnecting':
      return `Reconnecting to ${everyone}…`;
    case 'ended':
      // A call that rang here unanswered is a missed call, not "no answer".
      if (v.state.reason === 'no answer' && v.from && v.participants.length === 0) {
        return `You missed a call from ${v.from.name}.`;
      }
      return `${ENDED[v.state.reason]}${v.state.detail ? ` (${v.state.detail})` : ''}`;
    default:
      return '';
  }
}

/** A short ring while a call comes in: WebAudio, no sound file to ship. */
function useRingtone(on: boolean): void {
  useEffect(() => {
    if (!on || typeof AudioContext === 'undefined') return;
    const ctx = new AudioContext();
    const beep = () => {
      const osc = ctx.createOscillator();
      const gain = ctx.createGain();
      gain.gain.value = 0.05;
      osc.frequency.value = 620;
      osc.connect(gain).connect(ctx.destination);
      osc.start();
      osc.stop(ctx.currentTime + 0.4);
    };
    beep();
    const t = setInterval(beep, 2000);
    return () => {
      clearInterval(t);
      void ctx.close();
    };
  }, [on]);
}

export function CallPanel() {
  const store = useCallStore();
  const v = useCall();
  const phase = v.state.phase;
  useRingtone(phase === 'incoming');
  if (phase === 'idle') return null;
  if (phase === 'incoming') {
    return (
      <div
        className="incoming-call"
        role="alertdialog"
        aria-label="Incoming call"
        aria-describedby="incoming-text"
      >
        <p id="incoming-text">
          <strong>{v.from?.name}</strong> is calling{v.group ? ` #${v.group}` : ''}
          {v.video ? ' (video)' : ''}.
        </p>
        <div className="call-controls">
          <button type="button" className="primary" onClick={() => void store.accept()}>
            Accept
          </button>
          <button type="button" className="danger" onClick={() => store.decline()}>
            Decline
          </button>
        </div>
      </div>
    );
  }
  const live = phase === 'connected' || phase === 'reconnecting' || phase === 'connecting';
  return <LiveCall v={v} live={live} />;
}

function LiveCall({ v, live }: { v: CallView; live: boolean }) {
  const store = useCallStore();
  const phase = v.state.phase;
  const [showStats, setShowStats] = useState(false);
  const [showDevices, setShowDevices] = useState(false);
  const [problem, setProblem] = useState<string | null>(null);
  const [sinkId, setSinkId] = useState(() => loadDevicePrefs().audiooutput);
  const panel = useRef<HTMLElement>(null);
  return (
    <section ref={panel} className={`call-panel phase-${phase}`} aria-label="Call">
      <header>
        <span role="status" aria-live="polite" className="call-status">
          {statusText(v)}
        </span>
        {phase === 'connected' && v.connectedAt !== undefined && <Timer since={v.connectedAt} />}
        {live && <FullScreenButton target={panel} label="the call" />}
      </header>
      {phase !== 'ended' && (
        <div className={v.group ? 'call-videos group' : 'call-videos'}>
          {v.participants.map((p) => (
            <PersonTile
              key={p.userId}
              p={p}
              group={v.group !== undefined}
              {...(sinkId ? { sinkId } : {})}
            />
          ))}
          {(v.video || v.screen) &&
            !v.group &&
            (v.cameraOff && !v.screen ? (
              <div className="call-self-off" role="img" aria-label="Your camera is off">
                Camera off
              </div>
            ) : (
              <Video
                stream={v.screen ?? v.local}
                muted
                self
                label={v.screen ? 'Your screen' : 'Your video'}
              />
            ))}
          {(v.video || v.screen) && v.group && (
            <figure className="call-person">
              {v.cameraOff && !v.screen ? (
                <NameTile name="You" note="(camera off)" />
              ) : (
                <Video
                  stream={v.screen ?? v.local}
                  muted
                  label={v.screen ? 'Your screen' : 'Your video'}
                />
              )}
              {!(v.cameraOff && !v.screen) && (
                <figcaption>{v.screen ? 'Your screen' : 'You'}</figcaption>
              )}
            </figure>
          )}
        </div>
      )}
      <div className="call-controls" role="toolbar" aria-label="Call controls">
        {live && (
          <>
            <MicToggle muted={v.muted} onChange={(m) => store.setMuted(m)} />
            {v.video ? (
              <CameraToggle off={v.cameraOff} onChange={(off) => store.setCameraOff(off)} />
            ) : (
              <ToolButton
                label="Start video"
                icon="video"
                disabled={phase !== 'connected' || v.screen !== undefined}
                onClick={() =>
                  void store.startVideo().catch((err: Error) => setProblem(err.message))
                }
              />
            )}
            <ToolButton
              label={v.screen ? 'Stop sharing' : 'Share screen'}
              icon="screen"
              pressed={v.screen !== undefined}
              disabled={phase !== 'connected'}
              onClick={() =>
                void store
                  .shareScreen(v.screen === undefined)
                  .catch((err: Error) => setProblem(err.message))
              }
            />
            <ToolButton
              label="Devices"
              icon="settings"
              pressed={showDevices}
              onClick={() => setShowDevices(!showDevices)}
            />
            <ToolButton
              label="Stats"
              icon="stats"
              pressed={showStats}
              onClick={() => setShowStats(!showStats)}
            />
          </>
        )}
        {phase === 'ended' ? (
          <ToolButton label="Close" icon="close" onClick={() => store.dismiss()} />
        ) : (
          <ToolButton
            label={phase === 'outgoing' ? 'Cancel' : 'Hang up'}
            icon="hang-up"
            className="danger"
            onClick={() => store.hangUp()}
          />
        )}
      </div>
      {problem && (
        <p role="alert" className="form-error">
          {problem}
        </p>
      )}
      {v.notice && phase !== 'ended' && (
        <p className="hint call-notice" aria-live="polite">
          {v.notice}
        </p>
      )}
      {live && showDevices && <DevicePicker onSpeaker={setSinkId} />}
      {live && showStats && <CallStats />}
      {live && <CallExtras />}
    </section>
  );
}
