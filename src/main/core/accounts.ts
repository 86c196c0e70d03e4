// Signing up, signing in and out, against any Parley server. Every failure a person can meet has
// a code and a sentence. Tokens go to an injected SecretStore (Electron's safeStorage in the app),
// never to the renderer.
import { z } from 'zod';
import { CodedError, DesktopErrorCode } from '../../shared/errors.js';
import { ErrorCode } from '../../shared/protocol.js';

/** Where access tokens live between runs. The Electron adapter encrypts with safeStorage. */
export interface SecretStore {
  get(key: string): Promise<string | null>;
  set(key: string, value: string): Promise<void>;
  delete(key: string): Promise<void>;
}

export interface Account {
  /** Stable key: the server's origin and the user id. */
  id: string;
  serverUrl: string;
  /** ws(s)://.../v1/realtime, as the server announced it. */
  realtimeUrl: string;
  userId: string;
  username: string;
}

export const AccountErrorCode = {
  INVALID_URL: DesktopErrorCode.INVALID_URL,
  UNREACHABLE: DesktopErrorCode.UNREACHABLE,
  NOT_PARLEY: DesktopErrorCode.NOT_PARLEY,
  INVALID_CREDENTIALS: ErrorCode.INVALID_CREDENTIALS,
  USERNAME_TAKEN: ErrorCode.USERNAME_TAKEN,
  REGISTRATION_CLOSED: ErrorCode.REGISTRATION_CLOSED,
  RATE_LIMITED: ErrorCode.RATE_LIMITED,
  BAD_REQUEST: ErrorCode.BAD_REQUEST,
  SERVER_BUSY: DesktopErrorCode.SERVER_BUSY,
  /** An https server offered an unencrypted (or foreign) realtime address. */
  INSECURE_SERVER: DesktopErrorCode.INSECURE_SERVER,
  SERVER_ERROR: DesktopErrorCode.SERVER_ERROR,
} as const;
export type AccountErrorCode = (typeof AccountErrorCode)[keyof typeof AccountErrorCode];

export class AccountError extends CodedError<AccountErrorCode> {
  constructor(
    code: AccountErrorCode,
    message: string,
    readonly retryAfterSeconds?: number,
  ) {
    super(code, message, retryAfterSeconds === undefined ? undefined : retryAfterSeconds * 1000);
  }
}

const REQUEST_TIMEOUT_MS = 10_000;
const errorBody = z.object({ error: z.object({ code: z.string(), message: z.string() }) });
const tokenBody = z.object({
  token: z.string().min(1),
  expiresAt: z.number(),
  userId: z.string().min(1),
  username: z.string(),
});
const endpointBody = z.object({ url: z.string().regex(/^wss?:\/\//) });

/**
 * The realtime address a server announced, checked against the address the person gave: an
 * https server must offer wss on its own host, or the token would cross the network in clear
 * (security review M12: a proxy terminating TLS made the server announce ws://).
 */
export function checkRealtimeUrl(serverUrl: string, realtimeUrl: string): string {
  const server = new URL(serverUrl);
  let realtime: URL;
  try {
    realtime = new URL(realtimeUrl);
  } catch {
    throw new AccountError('NOT_PARLEY', `${serverUrl} does not look like a Parley server.`);
  }
  if (server.protocol === 'https:') {
    if (realtime.protocol !== 'wss:' || realtime.hostname !== server.hostname) {
      throw new AccountError(
        'INSECURE_SERVER',
        `${serverUrl} offered an unencrypted or foreign connection (${realtime.protocol}//${realtime.host}); ` +
          'Parley will not send your sign-in over it. Its administrator should set --public-url or --trust-proxy.',
      );
    }
  }
  return realtime.href;
}

interface CallOptions {
  method?: 'GET' | 'POST' | 'DELETE';
  token?: string;
  /** What a 401 means here, when it is not a wrong password at sign-in. */
  unauthorized?: string;
}

/**
 * What a person types as a server: `localhost:7420`, `chat.example.org`, `https://chat.example.org/`.
 * Bare names get https, except loopback addresses, which get http (a local server has no TLS).
 */
export function normalizeServerUrl(input: string): string {
  const trimmed = input.trim();
  if (!trimmed) throw new AccountError('INVALID_URL', 'Enter the address of a Parley server.');
  const local = /^(localhost|127\.\d+\.\d+\.\d+|\[::1\])(:\d+)?(\/|$)/i.test(trimmed);
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed)
    ? trimmed
    : `${local ? 'http' : 'https'}://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new AccountError('INVALID_URL', `"${input}" is not a server address.`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new AccountError(
      'INVALID_URL',
      'A server address starts with https:// (or http:// on this computer).',
    );
  }
  if (url.username || url.password) {
    throw new AccountError('INVALID_URL', 'Leave the user name out of the server address.');
  }
  return url.origin;
}

export class AccountService {
  constructor(
    private readonly secrets: SecretStore,
    private readonly fetchImpl: typeof fetch = fetch,
  ) {}

  async signUp(
    server: string,
    username: string,
    password: string,
    displayName?: string,
  ): Promise<Account> {
    const serverUrl = normalizeServerUrl(server);
    await this.call(serverUrl, '/v1/users', {
      username,
      password,
      ...(displayName ? { displayName } : {}),
    });
    return this.signIn(serverUrl, username, password);
  }

  async signIn(server: string, username: string, password: string): Promise<Account> {
    const serverUrl = normalizeServerUrl(server);
    const signedIn = tokenBody.safeParse(
      await this.call(serverUrl, '/v1/tokens', { username, password }),
    );
    if (!signedIn.success)
      throw new AccountError('NOT_PARLEY', `${serverUrl} does not look like a Parley server.`);
    const { token, userId } = signedIn.data;
    const endpoint = endpointBody.safeParse(await this.call(serverUrl, '/v1/realtime/endpoint'));
    if (!endpoint.success)
      throw new AccountError('NOT_PARLEY', `${serverUrl} does not look like a Parley server.`);
    const realtimeUrl = checkRealtimeUrl(serverUrl, endpoint.data.url);
    const account: Account = {
      id: `${serverUrl}#${userId}`,
      serverUrl,
      realtimeUrl,
      userId,
      username: signedIn.data.username,
    };
    await this.secrets.set(account.id, token);
    return account;
  }

  token(account: Account): Promise<string | null> {
    return this.secrets.get(account.id);
  }

  /**
   * Ends the sign-in on the server (the token stops working everywhere it was copied to), then
   * forgets it here. Whether the server could be told is returned: signing out on this computer
   * never fails for want of a network.
   */
  async signOut(account: Account): Promise<{ revoked: boolean }> {
    const token = await this.secrets.get(account.id);
    let revoked = false;
    if (token) {
      try {
        await this.call(account.serverUrl, '/v1/tokens/current', undefined, {
          method: 'DELETE',
          token,
        });
        revoked = true;
      } catch (err) {
        // An already revoked or expired token is as signed out as can be.
        revoked = err instanceof AccountError && err.code === 'INVALID_CREDENTIALS';
      }
    }
    await this.secrets.delete(account.id);
    return { revoked };
  }

  /** Changes the password; every other sign-in of the account ends, this one gets a new token. */
  async changePassword(account: Account, current: string, next: string): Promise<void> {
    const token = await this.secrets.get(account.id);
    if (!token) throw new AccountError('INVALID_CREDENTIALS', 'Sign in again first.');
    const answer = tokenBody.safeParse(
      await this.call(
        account.serverUrl,
        '/v1/users/me/password',
        { currentPassword: current, newPassword: next },
        { token, unauthorized: 'The current password is wrong.' },
      ),
    );
    if (!answer.success) {
      throw new AccountError('NOT_PARLEY', `${account.serverUrl} gave no new sign-in.`);
    }
    await this.secrets.set(account.id, answer.data.token);
  }

  private async call(
    serverUrl: string,
    path: string,
    body?: unknown,
    opts: CallOptions = {},
  ): Promise<unknown> {
    let res: Response;
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['content-type'] = 'application/json';
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    try {
      res = await this.fetchImpl(`${serverUrl}${path}`, {
        method: opts.method ?? (body === undefined ? 'GET' : 'POST'),
        headers,
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { code?: string } }).cause?.code;
      const why =
        (err as Error).name === 'TimeoutError'
          ? 'it did not answer in time'
          : cause === 'ENOTFOUND'
            ? 'no such host'
            : cause === 'ECONNREFUSED'
              ? 'nothing is listening there'
              : 'the network failed';
      throw new AccountError('UNREACHABLE', `Cannot reach ${serverUrl}: ${why}.`);
    }
    let json: unknown;
    try {
      json = await res.json();
    } catch {
      throw new AccountError('NOT_PARLEY', `${serverUrl} does not look like a Parley server.`);
    }
    if (res.ok) return json;
    const parsed = errorBody.safeParse(json);
    if (!parsed.success)
      throw new AccountError('NOT_PARLEY', `${serverUrl} does not look like a Parley server.`);
    const { code, message } = parsed.data.error;
    switch (res.status) {
      case 401:
        throw new AccountError(
          'INVALID_CREDENTIALS',
          opts.unauthorized ?? 'Wrong username or password.',
        );
      case 409:
        throw new AccountError('USERNAME_TAKEN', 'That username is taken; try another.');
      case 403:
        throw new AccountError(
          'REGISTRATION_CLOSED',
          'This server does not accept new accounts; ask its administrator.',
        );
      case 429: {
        const retry = Number(res.headers.get('retry-after') ?? '60');
        throw new AccountError(
          'RATE_LIMITED',
          `Too many attempts; try again in ${retry} seconds.`,
          retry,
        );
      }
      case 400:
        throw new AccountError('BAD_REQUEST', message);
      case 503:
        throw new AccountError(
          'SERVER_BUSY',
          'The server is busy signing people in; try again in a moment.',
          Number(res.headers.get('retry-after') ?? '1'),
        );
      default:
        throw new AccountError('SERVER_ERROR', `The server failed (${code}); try again later.`);
    }
  }
}
