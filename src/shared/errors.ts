// The one list of error codes that can reach the renderer: the server's (protocol.ts ErrorCode)
// and the desktop's own, and the one error class that carries them. Runs anywhere.
import { ErrorCode } from './protocol.js';

/** Codes the desktop raises itself, beside the server's. */
export const DesktopErrorCode = {
  // The realtime client (main/core/realtime-client.ts).
  NOT_CONNECTED: 'NOT_CONNECTED',
  DISCONNECTED: 'DISCONNECTED',
  TIMEOUT: 'TIMEOUT',
  DISPOSED: 'DISPOSED',
  // The desktop core and its IPC entry point.
  UNKNOWN_CHANNEL: 'UNKNOWN_CHANNEL',
  NO_ACCOUNT: 'NO_ACCOUNT',
  SIGNED_OUT: 'SIGNED_OUT',
  // Signing in to a server (main/core/accounts.ts).
  INVALID_URL: 'INVALID_URL',
  UNREACHABLE: 'UNREACHABLE',
  NOT_PARLEY: 'NOT_PARLEY',
  SERVER_BUSY: 'SERVER_BUSY',
  /** An https server offered an unencrypted (or foreign) realtime address. */
  INSECURE_SERVER: 'INSECURE_SERVER',
  /** The server failed, or answered with a code this app does not know. */
  SERVER_ERROR: 'SERVER_ERROR',
  // The renderer's bridge to main.
  NO_BRIDGE: 'NO_BRIDGE',
} as const;
export type DesktopErrorCode = (typeof DesktopErrorCode)[keyof typeof DesktopErrorCode];

/** Every code an IPC answer may carry. */
export type IpcErrorCode = ErrorCode | DesktopErrorCode;

const KNOWN = new Set<string>([...Object.values(ErrorCode), ...Object.values(DesktopErrorCode)]);

export function isIpcErrorCode(code: unknown): code is IpcErrorCode {
  return typeof code === 'string' && KNOWN.has(code);
}

/**
 * A code from outside this app (a server's answer): kept when it is one we know, otherwise
 * SERVER_ERROR, so no layer after this one meets a code it cannot handle.
 */
export function knownCode(code: unknown): IpcErrorCode {
  return isIpcErrorCode(code) ? code : DesktopErrorCode.SERVER_ERROR;
}

/** A failure with a stable code: every error the desktop reports to the renderer is one. */
export class CodedError<C extends IpcErrorCode = IpcErrorCode> extends Error {
  constructor(
    readonly code: C,
    message: string,
    /** With RATE_LIMITED: when to try again. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
  }
}
