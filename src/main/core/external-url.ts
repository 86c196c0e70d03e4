// Which links may leave the app for the OS (shell.openExternal): http, https and mailto only.
// Everything else — javascript:, file:, smb:, custom handlers, data: — could run code or reach
// local files and network shares, so it is refused, however it is spelled.

const ALLOWED = new Set(['http:', 'https:', 'mailto:']);
const MAX_LENGTH = 2048;

export type ExternalUrlVerdict = { ok: true; url: string } | { ok: false; reason: string };

export function checkExternalUrl(raw: unknown): ExternalUrlVerdict {
  if (typeof raw !== 'string' || raw.length === 0) return { ok: false, reason: 'not a URL' };
  if (raw.length > MAX_LENGTH) return { ok: false, reason: 'the URL is too long' };
  // Control characters and whitespace are how scheme lookalikes hide ("java\tscript:").
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u0020\u007f-\u009f]/.test(raw))
    return { ok: false, reason: 'the URL has hidden characters' };
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, reason: 'not a URL' };
  }
  if (!ALLOWED.has(url.protocol)) {
    return { ok: false, reason: `${url.protocol.replace(/:$/, '')} links are not opened` };
  }
  if (url.protocol !== 'mailto:') {
    if (!url.hostname) return { ok: false, reason: 'the link has no host' };
    // https://trusted.example@evil.example/ shows one host and opens another.
    if (url.username || url.password) return { ok: false, reason: 'the link hides a user name' };
    if (!/^https?:\/\//i.test(raw))
      return { ok: false, reason: 'the link is not written as a web address' };
  }
  if (url.protocol === 'mailto:') return { ok: true, url: plainMailto(url) };
  return { ok: true, url: url.href };
}

/**
 * A mailto: link keeps its addresses, subject and body only: some mail programs honour
 * `attach=` (and cc/bcc can add hidden recipients), so a click could send a local file
 * (security review 3, L2).
 */
function plainMailto(url: URL): string {
  const kept = new URLSearchParams();
  for (const key of ['subject', 'body']) {
    const value = url.searchParams.get(key);
    if (value !== null) kept.set(key, value);
  }
  const query = kept.toString();
  return `mailto:${url.pathname}${query ? `?${query.replaceAll('+', '%20')}` : ''}`;
}

/** The checked URL, or null when it may not leave the app: the form the Electron adapter uses. */
export function openableExternalUrl(raw: unknown): string | null {
  const verdict = checkExternalUrl(raw);
  return verdict.ok ? verdict.url : null;
}
