// The people of a call as tiles: their video (or their name when there is none), what they said
// of their microphone and camera, and a button to see a tile (a shared screen, say) full screen.
import { useEffect, useRef, useState, type RefObject } from 'react';
import { initials } from '../../ui/Avatar';
import { Icon } from '../../ui/Icon';
import type { Participant } from './call-store';

const PERSON_PHASE: Record<Participant['phase'], string> = {
  ringing: 'ringing',
  connecting: 'connecting',
  connected: 'in the call',
  reconnecting: 'reconnecting',
};

export function Video({
  stream,
  muted,
  label,
  sinkId,
  self = false,
  hidden = false,
}: {
  stream?: MediaStream;
  muted: boolean;
  label: string;
  sinkId?: string;
  self?: boolean;
  /** Kept in the page for its sound, not shown (no picture to show). */
  hidden?: boolean;
}) {
  const ref = useRef<HTMLVideoElement>(null);
  useEffect(() => {
    const el = ref.current as
      (HTMLVideoElement & { setSinkId?: (id: string) => Promise<void> }) | null;
    if (sinkId && el?.setSinkId) void el.setSinkId(sinkId).catch(() => undefined);
  }, [sinkId]);
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== (stream ?? null))
      ref.current.srcObject = stream ?? null;
  }, [stream]);
  return (
    <video
      ref={ref}
      autoPlay
      playsInline
      muted={muted}
      aria-label={label}
      aria-hidden={hidden || undefined}
      className={`call-video ${self ? 'self' : ''} ${hidden ? 'no-picture' : ''}`}
    />
  );
}

/**
 * Whether a stream has a picture to show now: a live video track that is receiving (a track
 * muted for want of frames, or none at all as in an audio call, shows the name instead).
 */
function useHasVideo(stream: MediaStream | undefined): boolean {
  const check = () =>
    stream?.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted) ?? false;
  const [has, setHas] = useState(check);
  useEffect(() => {
    if (!stream) {
      setHas(false); // eslint-disable-line react-hooks/set-state-in-effect -- follows the prop
      return;
    }
    const update = () =>
      setHas(stream.getVideoTracks().some((t) => t.readyState === 'live' && !t.muted));
    update();
    const tracks = new Set<MediaStreamTrack>();
    const watch = () => {
      for (const t of stream.getVideoTracks()) {
        if (tracks.has(t)) continue;
        tracks.add(t);
        t.addEventListener('mute', update);
        t.addEventListener('unmute', update);
        t.addEventListener('ended', update);
      }
      update();
    };
    watch();
    stream.addEventListener('addtrack', watch);
    stream.addEventListener('removetrack', update);
    return () => {
      stream.removeEventListener('addtrack', watch);
      stream.removeEventListener('removetrack', update);
      for (const t of tracks) {
        t.removeEventListener('mute', update);
        t.removeEventListener('unmute', update);
        t.removeEventListener('ended', update);
      }
    };
  }, [stream]);
  return has;
}

/** A person with no picture: their initials in a circle, and their name. */
export function NameTile({ name, note }: { name: string; note?: string }) {
  return (
    <div className="call-name-tile">
      <span className="call-initials" aria-hidden>
        {initials(name)}
      </span>
      <span className="call-tile-name">
        {name}
        {note && <span className="hint"> {note}</span>}
      </span>
    </div>
  );
}

/**
 * Someone in the call: their video when they send one, their name otherwise (an audio call, a
 * camera turned off). The media element stays either way: it plays their sound.
 */
export function PersonTile({
  p,
  sinkId,
  group,
}: {
  p: Participant;
  sinkId?: string;
  group: boolean;
}) {
  const picture = useHasVideo(p.remote) && !p.cameraOff;
  const tile = useRef<HTMLElement>(null);
  const said = [p.micOff && 'muted', p.cameraOff && 'camera off'].filter(Boolean).join(', ');
  const note = p.phase === 'connected' ? (said ? `(${said})` : '') : `(${PERSON_PHASE[p.phase]})`;
  return (
    <figure ref={tile} className={`call-person ${p.phase} ${picture ? '' : 'no-picture'}`}>
      <Video
        stream={p.remote}
        muted={false}
        label={`${p.name} video`}
        hidden={!picture}
        {...(sinkId ? { sinkId } : {})}
      />
      {!picture && <NameTile name={p.name} note={note} />}
      {picture && <FullScreenButton target={tile} label={`${p.name}'s video`} small />}
      {p.micOff && p.phase === 'connected' && (
        <span className="tile-muted" role="img" aria-label={`${p.name} is muted`}>
          <Icon name="mic-off" size={14} />
        </span>
      )}
      {picture && (group || note) && (
        <figcaption>
          {p.name}
          {note ? ` ${note}` : ''}
        </figcaption>
      )}
    </figure>
  );
}

/** Whether `el` is the page's full-screen element now (kept in step with Escape, too). */
function useFullScreen(target: RefObject<HTMLElement | null>): boolean {
  const [on, setOn] = useState(false);
  useEffect(() => {
    const changed = () =>
      setOn(target.current !== null && document.fullscreenElement === target.current);
    document.addEventListener('fullscreenchange', changed);
    return () => document.removeEventListener('fullscreenchange', changed);
  }, [target]);
  return on;
}

/**
 * Full screen for the call, or one tile of it (a screen share to read): the Fullscreen API, so
 * Escape or the same button comes back. A refusal (no user gesture) leaves things as they were.
 */
export function FullScreenButton({
  target,
  label,
  small = false,
}: {
  target: RefObject<HTMLElement | null>;
  /** What goes full screen: "the call", "Ben's video". */
  label: string;
  small?: boolean;
}) {
  const on = useFullScreen(target);
  const name = on ? `Exit full screen` : `Full screen: ${label}`;
  return (
    <button
      type="button"
      className={small ? 'tile-button icon-button' : 'tool'}
      aria-label={name}
      title={name}
      aria-pressed={on}
      onClick={() => {
        if (on) void document.exitFullscreen().catch(() => undefined);
        else void target.current?.requestFullscreen().catch(() => undefined);
      }}
    >
      <Icon name={on ? 'minimize' : 'maximize'} size={small ? 14 : 16} />
      {!small && <span className="tool-label">{on ? 'Exit full screen' : 'Full screen'}</span>}
    </button>
  );
}
