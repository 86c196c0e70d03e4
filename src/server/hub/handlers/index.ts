// One handler per protocol request, in a table typed by the request union: a request type with
// no handler, or a handler of the wrong shape, fails the typecheck.
import type { RequestResultMap, RequestType } from '../../../shared/protocol.js';
import type { RequestParams } from '../../../shared/schemas.js';
import type { HubContext } from '../context.js';
import type { HubConnection, RequestOrder } from '../types.js';
import { conversations, read } from './conversations.js';
import { bind, subscribe, unsubscribe } from './filters.js';
import { groups, join, leave, topic, users } from './groups.js';
import { add, invite, invites, kick, uninvite } from './invites.js';
import { history } from './history.js';
import { compose, edit, post, react, remove } from './messages.js';
import { notify } from './notify.js';
import { presence, profile } from './presence.js';
import { rtc } from './rtc.js';
import { people, search } from './search.js';
import { sfu } from './sfu.js';

export type Handler<T extends RequestType> = (
  ctx: HubContext,
  conn: HubConnection,
  params: RequestParams<T>,
  order?: RequestOrder,
) => Promise<RequestResultMap[T]> | RequestResultMap[T];

export type HandlerTable = { readonly [T in RequestType]: Handler<T> };

export const handlers: HandlerTable = {
  join,
  leave,
  groups,
  users,
  topic,
  invite,
  invites,
  uninvite,
  kick,
  add,
  post,
  edit,
  remove,
  react,
  compose,
  history,
  search,
  people: (ctx, _conn, p) => people(ctx, p),
  read,
  conversations,
  bind,
  subscribe,
  unsubscribe,
  presence,
  profile,
  rtc,
  notify,
  ice: (ctx) => ({ iceServers: ctx.iceServers }),
  sfu,
};
