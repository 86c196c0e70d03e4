// What the server sends about group calls on the SFU (sfu-protocol.ts), checked where it arrives:
// clients treat the server as untrusted, and what does not parse is dropped. zod/mini, as the
// call signals (call-signal.ts): the renderer's bundle carries the small build.
import * as z from 'zod/mini';

const callId = z.string().check(z.minLength(1), z.maxLength(64));
const feed = z.number().check(z.int(), z.positive(), z.maximum(Number.MAX_SAFE_INTEGER));
const mid = z.string().check(z.minLength(1), z.maxLength(16));
const sdp = z.string().check(z.minLength(1), z.maxLength(64 * 1024));
const jsep = z.object({ type: z.enum(['offer', 'answer']), sdp });

const feedSchema = z.object({
  feed,
  user_id: z.string().check(z.minLength(1), z.maxLength(64)),
  displayName: z.string().check(z.maxLength(64)),
  streams: z
    .array(
      z.object({
        mid,
        type: z.enum(['audio', 'video']),
        simulcast: z.boolean(),
        layers: z.optional(z.number().check(z.int(), z.minimum(1), z.maximum(3))),
      }),
    )
    .check(z.maxLength(16)),
  micOff: z.boolean(),
  cameraOff: z.boolean(),
  hand: z.boolean(),
  screenMid: z.optional(mid),
  self: z.optional(z.literal(true)),
});
const feeds = z.array(feedSchema).check(z.maxLength(100));

export const sfuEventSchema = z.discriminatedUnion('kind', [
  z.object({ callId, kind: z.literal('feeds'), feeds }),
  z.object({ callId, kind: z.literal('talking'), feed, talking: z.boolean() }),
  z.object({ callId, kind: z.literal('reconnecting') }),
  z.object({ callId, kind: z.literal('moved'), feeds }),
  z.object({ callId, kind: z.literal('ended'), reason: z.string().check(z.maxLength(500)) }),
]);

export const sfuCallStateSchema = z.object({
  group: z.string().check(z.minLength(1), z.maxLength(64)),
  callId,
  count: z.number().check(z.int(), z.minimum(0), z.maximum(1000)),
  startedAt: z.number(),
  video: z.optional(z.boolean()),
  startedBy: z.optional(
    z.object({
      user_id: z.string().check(z.maxLength(64)),
      displayName: z.string().check(z.maxLength(64)),
    }),
  ),
  ended: z.optional(z.object({ durationMs: z.number().check(z.minimum(0)) })),
});

/** The results a client reads, by op (those with nothing in them are not checked). */
export const sfuResultSchemas: Partial<Record<string, z.ZodMiniType>> = {
  join: z.object({ callId, feed, startedAt: z.number(), feeds }),
  publish: z.object({ jsep }),
  subscribe: z.object({
    jsep: z.optional(jsep),
    streams: z
      .array(z.object({ mid, feed, feedMid: mid, type: z.string().check(z.maxLength(16)) }))
      .check(z.maxLength(400)),
  }),
  rejoin: z.object({ feeds }),
  calls: z.object({ calls: z.array(sfuCallStateSchema).check(z.maxLength(10_000)) }),
};
