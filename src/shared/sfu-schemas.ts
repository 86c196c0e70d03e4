// Runtime validation of the `sfu` request (sfu-protocol.ts). Runs anywhere. Bounds keep one
// request cheap: a call holds at most 25 people with a few streams each, and an SDP of a call
// that size is well within 64 KiB. The request's own object is not strict: it carries `type`
// and `id` beside the op's fields (as every request does); what is nested is.
import { z } from 'zod';

const callId = z.string().min(1).max(64);
/** Feeds are numbers the server picked (below 2^48). */
const feed = z.number().int().positive().max(Number.MAX_SAFE_INTEGER);
const mid = z.string().min(1).max(16);
const sdp = z
  .string()
  .min(1)
  .max(64 * 1024);
const offer = z.object({ type: z.literal('offer'), sdp }).strict();
const answer = z.object({ type: z.literal('answer'), sdp }).strict();
const candidate = z
  .object({
    candidate: z.string().max(1024),
    sdpMid: z.string().max(16).nullable().optional(),
    sdpMLineIndex: z.number().int().min(0).max(1024).nullable().optional(),
  })
  .strict();

/** `group` is the protocol's group-name schema (passed in: schemas.ts owns it). */
export function sfuParamsSchema(group: z.ZodType<string>) {
  return z.discriminatedUnion('op', [
    z.object({ op: z.literal('join'), group, callId: callId.optional(), video: z.boolean() }),
    z.object({ op: z.literal('publish'), callId, jsep: offer }),
    z
      .object({
        op: z.literal('subscribe'),
        callId,
        add: z.array(z.object({ feed, mid }).strict()).max(100).default([]),
        remove: z
          .array(z.object({ feed, mid: mid.optional() }).strict())
          .max(100)
          .default([]),
      })
      .refine((p) => p.add.length + p.remove.length > 0, 'subscribe adds or removes something'),
    z.object({ op: z.literal('answer'), callId, jsep: answer }),
    z.object({
      op: z.literal('configure'),
      callId,
      streams: z
        .array(
          z
            .object({
              mid,
              send: z.boolean().optional(),
              substream: z.number().int().min(0).max(2).optional(),
            })
            .strict(),
        )
        .min(1)
        .max(100),
    }),
    z.object({
      op: z.literal('trickle'),
      callId,
      target: z.enum(['publisher', 'subscriber']),
      candidate: candidate.nullable(),
    }),
    z.object({
      op: z.literal('state'),
      callId,
      micOff: z.boolean().optional(),
      cameraOff: z.boolean().optional(),
      hand: z.boolean().optional(),
      screenMid: mid.nullable().optional(),
    }),
    z.object({ op: z.literal('rejoin'), callId }),
    z.object({ op: z.literal('leave'), callId }),
    z.object({ op: z.literal('calls') }),
  ]);
}
