// The call's own media: opening the camera and microphone (with a reason a person can read when
// that fails), switching devices, and picking a screen to share.
import type { EndReason } from './call-types';
import { mediaConstraints, type DeviceKind } from './devices';

export type MediaOutcome =
  { ok: true; stream: MediaStream } | { ok: false; reason: EndReason; detail: string };

export async function openMedia(
  media: Pick<MediaDevices, 'getUserMedia'>,
  video: boolean,
): Promise<MediaOutcome> {
  try {
    return { ok: true, stream: await media.getUserMedia(mediaConstraints(video)) };
  } catch (err) {
    const name = (err as DOMException).name;
    if (name === 'NotFoundError' || name === 'OverconstrainedError') {
      return {
        ok: false,
        reason: 'no camera or microphone',
        detail: video ? 'no camera or microphone was found' : 'no microphone was found',
      };
    }
    if (name === 'NotAllowedError' || name === 'SecurityError') {
      return {
        ok: false,
        reason: 'permission denied',
        detail: 'Parley may not use the camera or microphone',
      };
    }
    return { ok: false, reason: 'failed', detail: (err as Error).message };
  }
}

/**
 * A track from another microphone or camera, enabled as the call's mute or camera-off says; the
 * caller puts it in place of the old one.
 */
export async function deviceTrack(
  media: Pick<MediaDevices, 'getUserMedia'>,
  kind: Exclude<DeviceKind, 'audiooutput'>,
  deviceId: string,
  enabled: boolean,
): Promise<MediaStreamTrack> {
  const fresh = await media.getUserMedia(
    kind === 'audioinput'
      ? { audio: { deviceId: { exact: deviceId } } }
      : { video: { deviceId: { exact: deviceId } } },
  );
  const track = fresh.getTracks()[0]!;
  track.enabled = enabled;
  return track;
}

/** A screen or window chosen by the browser's (or the OS's) picker; null when closed. */
export async function pickScreen(): Promise<MediaStream | null> {
  try {
    return await navigator.mediaDevices.getDisplayMedia({ video: true, audio: false });
  } catch (err) {
    // The person closed the picker: nothing to say. Anything else is worth a sentence.
    if ((err as DOMException).name === 'NotAllowedError') return null;
    throw new Error(`The screen could not be shared: ${(err as Error).message}`, { cause: err });
  }
}
