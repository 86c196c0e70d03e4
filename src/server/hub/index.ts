// The hub: what each request of the protocol means. Its public face for the gateway, the server
// and the metrics module.
export { Hub } from './hub.js';
export { eventFrame, newCid } from './frames.js';
export { HISTORY_MAX_BYTES } from './handlers/history.js';
export { NOTIFICATION_QUEUE } from './handlers/notify.js';
export { MAX_SIGNAL_BYTES } from './handlers/rtc.js';
export { RESUME_MAX_BYTES } from './resume.js';
export {
  HubError,
  type HubConnection,
  type HubOptions,
  type HubStats,
  type RequestOrder,
  type SessionUser,
} from './types.js';
