// What Parley's clients put in an `rtc` request's `signal` (docs/protocol.md "Call signalling"):
// the clients' own contract, which the server relays without reading. A signal comes from
// another person's client, so it is parsed here before anything reads it. zod's tree-shakable
// build: the renderer loads this with its first bundle. Runs anywhere.
import * as z from 'zod/mini';

/** A group call names at most this many other people in one roster. */
export const MAX_ROSTER = 24;

const name = z.string().check(z.maxLength(256));
const id = z.string().check(z.minLength(1), z.maxLength(128));

const rosterEntry = z.object({ user_id: id, cid: id, name });

export const callSignal = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('ring'),
    video: z.boolean(),
    name,
    group: z.optional(z.string().check(z.maxLength(64))),
  }),
  z.object({ kind: z.literal('accept') }),
  z.object({ kind: z.literal('decline'), reason: z.enum(['declined', 'busy']) }),
  /** `answered`: another device of the same person took the call; `timedOut`: no one did. */
  z.object({
    kind: z.literal('cancel'),
    answered: z.optional(z.boolean()),
    timedOut: z.optional(z.boolean()),
  }),
  /** `failed`: the other side gave up on the connection (its own reason stays there). */
  z.object({ kind: z.literal('hangup'), failed: z.optional(z.boolean()) }),
  /** simple-peer's offers, answers and candidates: opaque here, WebRTC parses them. */
  z.object({ kind: z.literal('sdp'), data: z.unknown() }),
  /** Group calls, from the caller: connect to these people (`offer`: you make the offers). */
  z.object({
    kind: z.literal('roster'),
    members: z.array(rosterEntry).check(z.maxLength(MAX_ROSTER)),
    offer: z.boolean(),
  }),
  /**
   * The sender's camera is off (or on again): the others show their name, not a black box.
   * `micOff`: their microphone is muted, shown on their tile (left out by older clients).
   */
  z.object({ kind: z.literal('media'), cameraOff: z.boolean(), micOff: z.optional(z.boolean()) }),
]);

export type CallSignal = z.output<typeof callSignal>;
export type RosterEntry = z.output<typeof rosterEntry>;

/** A signal as another client sent it, or null when it is not one (ignored, never thrown). */
export function parseCallSignal(raw: unknown): CallSignal | null {
  const parsed = callSignal.safeParse(raw);
  return parsed.success ? parsed.data : null;
}
