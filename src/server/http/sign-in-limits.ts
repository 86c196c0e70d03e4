// Limits on password checks (sign-in and password change), counted when an attempt starts (review
// H4: counting failures after the check let 100 parallel guesses through):
// - per account and address (M9): guesses from one place lock out no one else;
// - per address across every account (security review 3, F14): one address cannot spray one
//   password over many usernames;
// - per address in flight (F16): one address holds at most two places in the password queue, so
//   it cannot fill the queue and turn everyone else's sign-in into 503 BUSY;
// - per account from every address together, against guessing spread over many addresses. Past
//   it, only an address that signed in to this account before (within 30 days) may still try
//   (F12): an attacker can no longer lock the owner out of a known device, while guesses from
//   new addresses stay refused.
// A right password gives its attempt back everywhere.
import type { IncomingMessage } from 'node:http';
import type { Limits } from '../config.js';
import { addressKey, type WindowFactory } from '../rate-limit.js';
import type { RequestGuard } from '../request-guard.js';
import { tooMany } from './respond.js';

const KNOWN_ADDRESS_MS = 30 * 24 * 3600_000;

export interface SignInAttempt {
  /** The password was right: the attempt is given back, and the address remembered. */
  succeeded(): void;
  /** The check never ran (the server was busy): the attempt is given back. */
  abandoned(): void;
  /** The password was wrong: the attempt stays counted. */
  failed(): void;
}

export function signInLimits(
  windows: WindowFactory,
  limits: Pick<
    Limits,
    | 'tokenFailuresPerIpPerMinute'
    | 'signInFailuresPerUserPerMinute'
    | 'signInsPerIpPerMinute'
    | 'signInsInFlightPerIp'
  >,
  guard: RequestGuard,
) {
  const here = windows('signin-here', limits.tokenFailuresPerIpPerMinute, 60_000);
  const anywhere = windows('signin-any', limits.signInFailuresPerUserPerMinute, 60_000);
  const fromAddress = windows('signin-addr', limits.signInsPerIpPerMinute, 60_000);
  // One hit marks an address as known for the account; a second hit is refused (and not kept).
  const known = windows('signin-known', 1, KNOWN_ADDRESS_MS);
  const inFlight = new Map<string, number>();

  async function isKnown(key: string, now: number): Promise<boolean> {
    const verdict = await known.hit(key, now);
    if (verdict.ok) await known.refund(key); // it was not known: leave no mark
    return !verdict.ok;
  }

  /** Hits the windows, or throws 429; answers the per-account verdict (refunded on success). */
  async function checkWindows(name: string, address: string, pair: string, now: number) {
    const byAddress = await fromAddress.hit(address, now);
    if (!byAddress.ok) {
      throw tooMany('too many sign-ins from this address; try again later', byAddress.retryAfterMs);
    }
    const local = await here.hit(pair, now);
    if (!local.ok) {
      await fromAddress.refund(address);
      throw tooMany('too many failed sign-ins; try again later', local.retryAfterMs);
    }
    const global = await anywhere.hit(name, now);
    if (!global.ok && !(await isKnown(pair, now))) {
      await Promise.all([here.refund(pair), fromAddress.refund(address)]);
      throw tooMany(
        'too many failed sign-ins to this account; try again later, or from a device that signed in before',
        global.retryAfterMs,
      );
    }
    return global;
  }

  return {
    /** Starts an attempt for `username`, or throws 429 RATE_LIMITED. */
    async start(req: IncomingMessage, username: string): Promise<SignInAttempt> {
      const now = Date.now();
      const name = username.toLowerCase();
      const address = addressKey(guard.clientAddress(req));
      const pair = `${name}|${address}`;
      // The place is taken before any await: checks of the windows (Redis in a cluster) must
      // not let a burst from one address past this count.
      if ((inFlight.get(address) ?? 0) >= limits.signInsInFlightPerIp) {
        throw tooMany('sign-ins from this address are being checked; try again in a moment', 1000);
      }
      inFlight.set(address, (inFlight.get(address) ?? 0) + 1);
      const release = () => {
        const left = (inFlight.get(address) ?? 1) - 1;
        if (left > 0) inFlight.set(address, left);
        else inFlight.delete(address);
      };
      let global: { ok: boolean };
      try {
        global = await checkWindows(name, address, pair, now);
      } catch (err) {
        release();
        throw err;
      }
      let settled = false;
      const settle = (giveBack: boolean) => {
        if (settled) return;
        settled = true;
        release();
        if (!giveBack) return;
        void here.refund(pair);
        void fromAddress.refund(address);
        if (global.ok) void anywhere.refund(name);
      };
      return {
        succeeded() {
          settle(true);
          void known.hit(pair, Date.now());
        },
        abandoned: () => settle(true),
        failed: () => settle(false),
      };
    },
  };
}
