// How long a connection's sign-in lasts (security review 3, L5 and F9): the connection ends when
// its token expires, and every few heartbeats it asks the store whether the token was revoked.
// Revocation normally arrives at once (the broker's `revoked` control on the user's topic); the
// re-check is the backstop for a message a networked broker lost.
import type { TokenClaims } from '../auth.js';
import type { Store } from '../store/store.js';
import { tokenRevoked } from './handshake.js';

/** Heartbeats between two checks of the store (about 100 s at the default 25 s heartbeat). */
const BEATS_PER_CHECK = 4;
/** setTimeout's longest delay; a token living longer is ended by a later check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

export class TokenLife {
  private readonly expiry: NodeJS.Timeout;
  private beats = 0;
  private disposed = false;

  constructor(
    private readonly store: Pick<Store, 'userById' | 'isRevoked'>,
    private readonly claims: TokenClaims,
    /** Ends the connection: 'expired' or 'revoked'. */
    private readonly end: (why: 'expired' | 'revoked') => void,
    now = Date.now(),
  ) {
    this.expiry = setTimeout(
      () => this.end('expired'),
      Math.min(MAX_TIMER_MS, Math.max(0, claims.expMs - now)),
    );
    this.expiry.unref();
  }

  /** Called at each heartbeat. */
  beat(): void {
    if (++this.beats % BEATS_PER_CHECK !== 0) return;
    void this.check().catch(() => undefined); // a store that cannot answer now: the next beat
  }

  dispose(): void {
    this.disposed = true;
    clearTimeout(this.expiry);
  }

  private async check(): Promise<void> {
    if (Date.now() >= this.claims.expMs) return this.end('expired');
    const user = await this.store.userById(this.claims.sub);
    const revoked = !user || (await tokenRevoked(this.store, this.claims, user));
    if (revoked && !this.disposed) this.end('revoked');
  }
}
