// The tiles of a group call: each person's picture (or their initials when the camera is off),
// their name, a muted microphone, a raised hand, and an outline while they talk. Each tile says
// whether it is on screen, so the SFU sends a small layer to a grid tile, a large one to the big
// tile and nothing to a tile scrolled or paged out of sight.
import { useEffect, useRef } from 'react';
import type { SfuFeed } from '../../../../../shared/sfu-protocol';
import { initials } from '../../../ui/Avatar';
import { Icon } from '../../../ui/Icon';
import { Video } from '../CallTiles';
import type { Quality } from './sfu-session';

export interface TileProps {
  feed: SfuFeed;
  stream: MediaStream | undefined;
  talking: boolean;
  /** The large tile (speaker or screen): the high layer. */
  large?: boolean;
  /** A shared screen rather than the person's camera. */
  screen?: boolean;
  /** This tile is pinned as the large one. */
  pinned?: boolean;
  /** Pins (or unpins) this person as the large tile; left out where pinning means nothing. */
  onPin?(feed: number | undefined): void;
  onQuality(feed: number, quality: Quality): void;
}

/** Reports what the tile needs: nothing while out of sight, else its size's layer. */
function useQuality(
  ref: React.RefObject<HTMLElement | null>,
  feed: number,
  large: boolean,
  onQuality: TileProps['onQuality'],
) {
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const observer = new IntersectionObserver(([entry]) => {
      onQuality(feed, entry?.isIntersecting ? (large ? 'high' : 'low') : 'off');
    });
    observer.observe(el);
    return () => {
      observer.disconnect();
      onQuality(feed, 'off');
    };
  }, [ref, feed, large, onQuality]);
}

export function GroupTile({
  feed,
  stream,
  talking,
  large = false,
  screen = false,
  pinned = false,
  onPin,
  onQuality,
}: TileProps) {
  const ref = useRef<HTMLElement>(null);
  useQuality(ref, feed.feed, large || screen, onQuality);
  const name = feed.self ? `${feed.displayName} (you)` : feed.displayName;
  const picture = stream && (screen || !feed.cameraOff);
  return (
    <figure
      ref={ref}
      className={`group-tile${large ? ' large' : ''}${talking ? ' talking' : ''}`}
      data-feed={feed.feed}
      aria-label={screen ? `${feed.displayName}'s screen` : name}
    >
      {picture ? (
        <Video
          stream={stream}
          muted
          label={screen ? `${feed.displayName}'s screen` : `${feed.displayName}'s video`}
        />
      ) : (
        <div className="group-tile-face" aria-hidden="true">
          {initials(feed.displayName)}
        </div>
      )}
      <figcaption>
        {feed.hand && !screen && (
          <span className="tile-hand" role="img" aria-label="hand raised">
            <Icon name="hand" />
          </span>
        )}
        <span className="tile-name">{screen ? `${feed.displayName}'s screen` : name}</span>
        {feed.micOff && !screen && (
          <span className="tile-muted" role="img" aria-label="muted">
            <Icon name="mic-off" />
          </span>
        )}
        {feed.cameraOff && !screen && <span className="visually-hidden">camera off</span>}
      </figcaption>
      {onPin && (
        <button
          type="button"
          className="tile-pin"
          aria-label={pinned ? `Unpin ${feed.displayName}` : `Pin ${feed.displayName}`}
          title={pinned ? 'Unpin' : 'Pin as the large picture'}
          aria-pressed={pinned}
          onClick={() => onPin(pinned ? undefined : feed.feed)}
        >
          <Icon name={pinned ? 'pin-off' : 'pin'} />
        </button>
      )}
    </figure>
  );
}

/** Everyone's sound, whatever is on screen: video elements of tiles are muted. */
export function CallAudio({ streams }: { streams: ReadonlyMap<number, MediaStream> }) {
  return (
    <div hidden>
      {[...streams].map(([feed, stream]) => (
        <Audio key={feed} stream={stream} />
      ))}
    </div>
  );
}

function Audio({ stream }: { stream: MediaStream }) {
  const ref = useRef<HTMLAudioElement>(null);
  useEffect(() => {
    if (ref.current && ref.current.srcObject !== stream) ref.current.srcObject = stream;
  }, [stream]);
  return <audio ref={ref} autoPlay />;
}
