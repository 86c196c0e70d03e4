// A group call through the SFU: a grid of up to 25 tiles a page, a speaker view that follows who
// talks, a shared screen as the large tile with everyone beside it, the participant list, and
// the controls (microphone, camera, screen, hand, layout, people, full screen, leave).
import { useCallback, useRef, useState } from 'react';
import type { SfuFeed } from '../../../../../shared/sfu-protocol';
import { Icon } from '../../../ui/Icon';
import { ToolButton } from '../../../ui/ToolButton';
import { Timer } from '../CallPanel';
import { FullScreenButton } from '../CallTiles';
import { CameraToggle, MicToggle } from '../MediaToggles';
import { CallAudio, GroupTile } from './GroupTiles';
import type { GroupCallView } from './group-call-store';
import type { Quality } from './sfu-session';
import { useGroupCall, useGroupCallStore } from './use-group-call';
import './group-call.css';

/** Tiles on one page of the grid: all 25 in a wide window, 9 in a narrow one. */
function pageSize(): number {
  return window.innerWidth >= 1000 ? 25 : 9;
}

function statusText(v: GroupCallView): string {
  const s = v.session!;
  if (s.phase === 'joining') return `Joining the call in #${s.group}…`;
  if (s.phase === 'reconnecting') return 'Reconnecting the call…';
  if (s.phase === 'ended') return `The call ended: ${s.endReason ?? 'you left'}.`;
  const n = s.feeds.length;
  return `Call in #${s.group}, ${n} ${n === 1 ? 'person' : 'people'}`;
}

export function GroupCallPanel() {
  const v = useGroupCall();
  const store = useGroupCallStore();
  const panel = useRef<HTMLElement>(null);
  const [page, setPage] = useState(0);
  const onQuality = useCallback((feed: number, q: Quality) => store.setQuality(feed, q), [store]);
  const s = v.session;
  if (!s) return null;
  const live = s.phase === 'connected' || s.phase === 'reconnecting';
  const self = s.feeds.find((f) => f.self);
  const presenter = s.feeds.find((f) => !f.self && f.screenMid && s.screens.has(f.feed));
  const others = s.feeds.filter((f) => !f.self);
  const speaker = presenter ? undefined : (others.find((f) => f.feed === s.speaker) ?? others[0]);
  const pinned = others.find((f) => f.feed === v.pinned);
  const big = presenter ?? pinned ?? (v.layout === 'speaker' ? speaker : undefined);
  const onPin = (feed: number | undefined) => store.pin(feed);
  const tileOf = (f: SfuFeed, large = false) => (
    <GroupTile
      key={f.feed}
      feed={
        f.self ? { ...f, cameraOff: v.cameraOff || !v.video, micOff: v.muted, hand: v.hand } : f
      }
      stream={f.self ? v.local : s.remotes.get(f.feed)}
      talking={s.talking.has(f.feed)}
      large={large}
      {...(f.self ? {} : { onPin, pinned: f.feed === v.pinned })}
      onQuality={onQuality}
    />
  );
  const everyone = [...(self ? [self] : []), ...others];
  const size = pageSize();
  const pages = Math.max(1, Math.ceil(everyone.length / size));
  const shown = Math.min(page, pages - 1);
  const strip = big ? everyone.filter((f) => f !== big || presenter) : [];
  return (
    <section
      ref={panel}
      className={`call-panel group-call phase-${s.phase}`}
      aria-label="Group call"
    >
      <header>
        <span role="status" aria-live="polite" className="call-status">
          {statusText(v)}
        </span>
        {s.phase === 'connected' && s.startedAt !== undefined && <Timer since={s.startedAt} />}
        {live && <FullScreenButton target={panel} label="the call" />}
      </header>
      {s.phase !== 'ended' && (
        <div className={`group-stage${big ? ' with-large' : ''}`}>
          {big && presenter && (
            <GroupTile
              feed={presenter}
              stream={s.screens.get(presenter.feed)}
              talking={false}
              screen
              large
              onQuality={onQuality}
            />
          )}
          {big && !presenter && tileOf(big, true)}
          <div className={big ? 'group-strip' : `group-grid n${Math.min(everyone.length, size)}`}>
            {(big ? strip : everyone.slice(shown * size, shown * size + size)).map((f) =>
              tileOf(f),
            )}
          </div>
          {!big && pages > 1 && (
            <nav className="group-pages" aria-label="Pages of people">
              <button
                type="button"
                className="tool"
                aria-label="Previous page"
                disabled={shown === 0}
                onClick={() => setPage(shown - 1)}
              >
                <Icon name="chevron-left" />
              </button>
              <span>
                {shown + 1} / {pages}
              </span>
              <button
                type="button"
                className="tool"
                aria-label="Next page"
                disabled={shown === pages - 1}
                onClick={() => setPage(shown + 1)}
              >
                <Icon name="chevron-right" />
              </button>
            </nav>
          )}
          {v.people && live && <People feeds={everyone} talking={s.talking} />}
        </div>
      )}
      <CallAudio streams={s.remotes} />
      <div className="call-controls" role="toolbar" aria-label="Call controls">
        {live && (
          <>
            <MicToggle muted={v.muted} onChange={(m) => store.setMuted(m)} />
            {v.video && (
              <CameraToggle off={v.cameraOff} onChange={(off) => store.setCameraOff(off)} />
            )}
            <ToolButton
              label={v.sharing ? 'Stop sharing' : 'Share screen'}
              icon="screen"
              pressed={v.sharing}
              onClick={() => void store.toggleScreen()}
            />
            <ToolButton
              label={v.hand ? 'Lower hand' : 'Raise hand'}
              icon="hand"
              pressed={v.hand}
              onClick={() => store.setHand(!v.hand)}
            />
            <ToolButton
              label={v.layout === 'grid' ? 'Speaker view' : 'Grid view'}
              icon={v.layout === 'grid' ? 'speaker' : 'grid'}
              onClick={() => store.setLayout(v.layout === 'grid' ? 'speaker' : 'grid')}
            />
            <ToolButton
              label="Participants"
              icon="users"
              pressed={v.people}
              onClick={() => store.showPeople(!v.people)}
            />
          </>
        )}
        <ToolButton
          label={s.phase === 'ended' ? 'Close' : 'Leave call'}
          icon={s.phase === 'ended' ? 'close' : 'hang-up'}
          className={s.phase === 'ended' ? '' : 'danger'}
          onClick={() => store.leave()}
        />
      </div>
      {v.problem && (
        <p role="alert" className="form-error">
          {v.problem}
        </p>
      )}
    </section>
  );
}

function People({ feeds, talking }: { feeds: SfuFeed[]; talking: ReadonlySet<number> }) {
  return (
    <aside className="group-people" aria-label="Participants">
      <h3>In the call ({feeds.length})</h3>
      <ul>
        {feeds.map((f) => (
          <li key={f.feed} className={talking.has(f.feed) ? 'talking' : ''}>
            <span className="person-name">{f.self ? `${f.displayName} (you)` : f.displayName}</span>
            {f.hand && <Icon name="hand" />}
            {f.hand && <span className="visually-hidden">hand raised</span>}
            {f.micOff && <Icon name="mic-off" />}
            {f.micOff && <span className="visually-hidden">muted</span>}
            {f.cameraOff && <Icon name="video-off" />}
            {f.cameraOff && <span className="visually-hidden">camera off</span>}
          </li>
        ))}
      </ul>
    </aside>
  );
}
