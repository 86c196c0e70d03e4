// Runtime validation of protocol v1, used by the server and by clients. Runs anywhere.
import { z } from 'zod';
import {
  BLANK_LETTERS,
  GROUP_NAME,
  MIN_PASSWORD_CHARS,
  PASSWORD_RULE,
  USERNAME,
  USERNAME_RULE,
  withoutInvisibleControls,
} from './names.js';
import {
  EVENT_NAMES,
  MAX_TOPIC_CHARS,
  type ConversationKey,
  type RequestType,
} from './protocol.js';
import { sfuParamsSchema } from './sfu-schemas.js';

const id = z.string().min(1).max(64);
/** Group names: letters and digits first, then letters, digits, `_`, `.`, `-`; 1 to 64 long. */
export const groupName = z
  .string()
  .regex(GROUP_NAME, 'a group name is 1 to 64 letters, digits, _ . -')
  .refine((n) => !BLANK_LETTERS.test(n), 'a group name cannot hold blank letters');
const userId = z.string().min(1).max(64);
/** A person's name as others see it: no bidi or zero-width characters (L1). */
export const displayName = z
  .string()
  .transform(withoutInvisibleControls)
  .pipe(z.string().trim().min(1).max(64));
export const conversationKey = z
  .string()
  .max(80)
  .refine(
    (k) =>
      (k.startsWith('group:') && groupName.safeParse(k.slice(6)).success) ||
      (k.startsWith('dm:') && k.length > 3),
    'a conversation is group:NAME or dm:USERID',
  )
  .transform((k) => k as ConversationKey);

export const recipient = z.union([
  z.object({ group: groupName }).strict(),
  z.object({ user: userId }).strict(),
]);
export const messageBody = z.looseObject({ text: z.string() });
export const notificationRequest = z.object({
  title: z.string().max(200),
  body: z.string().max(2000),
  always: z.boolean().optional(),
});
const eventName = z.enum(EVENT_NAMES);
const eventFilter = z.array(eventName).max(EVENT_NAMES.length);
const roomFilter = z.array(conversationKey).max(1000);
const nonNegativeInt = z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER);
const condition = z.enum(['>', '>=', '=', '<', '<=', '!=', 'gt', 'gte', 'eq', 'lt', 'lte', 'ne']);

/** A STUN or TURN server (the server's config file and the app's settings take this shape). */
export const iceServer = z
  .object({
    urls: z.union([
      z
        .string()
        .regex(/^(stun|stuns|turn|turns):/)
        .max(300),
      z
        .array(
          z
            .string()
            .regex(/^(stun|stuns|turn|turns):/)
            .max(300),
        )
        .min(1)
        .max(10),
    ]),
    username: z.string().max(200).optional(),
    credential: z.string().max(500).optional(),
  })
  .strict();

/**
 * One emoji as a reaction: a single grapheme made of emoji code points (with their joiners,
 * variation selectors, skin tones and keycap or flag parts), not text that looks like one.
 */
const emoji = z
  .string()
  .min(1)
  .max(32)
  .refine(
    (e) =>
      // Emoji_Component covers the joiner, variation selector 16, the keycap mark and skin tones.
      /^(?:\p{Extended_Pictographic}|\p{Emoji_Component})+$/u.test(e) &&
      /\p{Extended_Pictographic}|\p{Regional_Indicator}|\u20e3/u.test(e) &&
      [...new Intl.Segmenter().segment(e)].length === 1,
    { message: 'emoji must be a single emoji' },
  );

/** Parameters of each request type (the frame's own fields, less `type` and `id`). */
export const requestParams = {
  /** `private` creates an invite-only group; `invite` is a member's code for a private one. */
  join: z.object({
    group: groupName,
    private: z.boolean().optional(),
    invite: z.string().min(1).max(64).optional(),
  }),
  invite: z.object({ group: groupName }),
  invites: z.object({ group: groupName }),
  uninvite: z.object({ group: groupName, code: z.string().min(1).max(64) }),
  kick: z.object({ group: groupName, user_id: userId }),
  add: z.object({ group: groupName, user_id: userId }),
  topic: z.object({
    group: groupName,
    topic: z.string().transform(withoutInvisibleControls).pipe(z.string().max(MAX_TOPIC_CHARS)),
  }),
  profile: z.object({ displayName: displayName.optional() }),
  leave: z.object({ group: groupName }),
  groups: z
    .object({
      searchFor: z.enum(['group', 'number_of_users']).optional(),
      value: z.union([z.string().max(64), z.number().int()]).optional(),
      condition: condition.optional(),
      range: z.union([z.string().max(64), z.number().int()]).optional(),
      limit: z.number().int().min(1).max(200).optional(),
      cursor: z.string().max(200).optional(),
    })
    .refine((p) => !(p.range !== undefined && p.condition !== undefined), {
      message: 'range cannot be used with condition',
    }),
  users: z.object({ group: groupName, user_id: userId.optional() }),
  post: z.object({
    to: recipient,
    body: messageBody,
    clientMsgId: id,
    notification: notificationRequest.optional(),
    /** Answers this message with a quote of it (same conversation). */
    replyTo: id.optional(),
    /** Posts into the thread of this message (same conversation). */
    thread: id.optional(),
    /** A missed call's record in a dm: the server writes body.call if this user rang that one. */
    /** `durationMs`: a call that was answered and lasted this long; without it, a missed one. */
    callRecord: z
      .object({
        video: z.boolean(),
        durationMs: z.number().int().min(0).max(86_400_000).optional(),
      })
      .optional(),
  }),
  edit: z.object({ messageId: id, body: messageBody }),
  remove: z.object({ messageId: id }),
  react: z.object({ messageId: id, emoji, on: z.boolean() }),
  compose: z.object({ to: recipient, state: z.enum(['typing', 'paused']) }),
  history: z
    .object({
      conversation: conversationKey,
      before: nonNegativeInt.optional(),
      after: nonNegativeInt.optional(),
      limit: z.number().int().min(1).max(200).optional(),
      /** Only the replies in this message's thread. */
      thread: id.optional(),
    })
    .refine((p) => !(p.before !== undefined && p.after !== undefined), {
      message: 'use before or after, not both',
    }),
  search: z.object({
    query: z.string().max(200),
    /** One conversation; everything the user can read when left out. */
    conversation: conversationKey.optional(),
    limit: z.number().int().min(1).max(50).optional(),
    cursor: z.string().max(200).optional(),
  }),
  people: z.object({
    query: z.string().min(1).max(64),
    limit: z.number().int().min(1).max(50).optional(),
  }),
  read: z.object({ conversation: conversationKey, seq: nonNegativeInt }),
  bind: z.object({ events: eventFilter.optional(), rooms: roomFilter.optional() }),
  subscribe: z.object({ topic: z.string().min(1).max(200) }),
  unsubscribe: z.object({ topic: z.string().min(1).max(200) }),
  presence: z.object({
    status: z.enum(['online', 'away', 'busy', 'invisible']),
    text: z.string().max(140).optional(),
  }),
  rtc: z
    .object({
      /** One connection; or, with `user_id` instead, every connection of that user (ringing). */
      cid: id.optional(),
      user_id: userId.optional(),
      callId: id,
      signal: z.unknown().refine((s) => s !== undefined && s !== null, 'signal is required'),
    })
    .refine((p) => (p.cid === undefined) !== (p.user_id === undefined), {
      message: 'rtc needs exactly one of cid and user_id',
    }),
  notify: z.object({
    user_ids: z.union([userId.transform((u) => [u]), z.array(userId).min(1).max(100)]),
    title: z.string().max(200),
    body: z.string().max(2000),
  }),
  conversations: z.object({}),
  ice: z.object({}),
  sfu: sfuParamsSchema(groupName),
} satisfies Record<RequestType, z.ZodType>;

export type RequestParams<T extends RequestType> = z.output<(typeof requestParams)[T]>;

export const authRequest = z.object({
  type: z.literal('authrequest'),
  id,
  token: z.string().min(1).max(4096),
  version: z.string().max(16).optional(),
  events: eventFilter.optional(),
  rooms: roomFilter.optional(),
  resume: z
    .record(z.string().max(80), nonNegativeInt)
    .refine((r) => Object.keys(r).length <= 1000, 'resume names at most 1000 conversations')
    .optional(),
});
export type AuthRequest = z.output<typeof authRequest>;

/** The envelope every client frame must have before its type is known. */
export const requestEnvelope = z.object({ type: z.string().min(1).max(32), id });

// ---- HTTP ----------------------------------------------------------------------------------

export const username = z.string().regex(USERNAME, `a username is ${USERNAME_RULE}`);
export const password = z
  .string()
  .min(MIN_PASSWORD_CHARS, `a password has ${PASSWORD_RULE}`)
  .max(256);
export const createUserBody = z.object({
  username,
  password,
  displayName: displayName.optional(),
});
export const changePasswordBody = z.object({
  currentPassword: z.string().min(1).max(256),
  newPassword: password,
});
export const createTokenBody = z.object({
  username: z.string().min(1).max(64),
  password: z.string().min(1).max(256),
});

/** One line a person can read, from a zod error. */
export function describeIssues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => (i.path.length ? `${i.path.join('.')}: ${i.message}` : i.message))
    .join('; ');
}
