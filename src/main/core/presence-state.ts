// Who is online, as far as this account has heard: presence:update events and member lists.
// What a reloaded page or a direct-message list shows before the next change arrives.
import type { EventFrame, GroupUser, VisibleStatus } from '../../shared/protocol.js';

export interface PresenceView {
  userId: string;
  status: VisibleStatus;
  text?: string;
}

export class PresenceState {
  private readonly users = new Map<string, PresenceView>();

  apply(frame: EventFrame): boolean {
    if (frame.event !== 'presence:update') return false;
    const { user_id, status, text } = frame.data;
    this.users.set(user_id, { userId: user_id, status, ...(text !== undefined ? { text } : {}) });
    return true;
  }

  /** A `users` answer: one row per connection; the user's status is the same on each. */
  learn(rows: readonly GroupUser[]): void {
    for (const r of rows) {
      this.users.set(r.user_id, {
        userId: r.user_id,
        status: r.status,
        ...(r.text !== undefined ? { text: r.text } : {}),
      });
    }
  }

  list(): PresenceView[] {
    return [...this.users.values()];
  }

  /** Everyone becomes unknown when the connection drops: their last status may be stale. */
  clear(): void {
    this.users.clear();
  }
}
