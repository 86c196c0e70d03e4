import { describe, expect, it } from 'vitest';
import { checkExternalUrl, openableExternalUrl } from './external-url.js';

describe('checkExternalUrl', () => {
  it.each([
    ['https://parley.example/path?q=1#x', 'https://parley.example/path?q=1#x'],
    ['http://localhost:7420/', 'http://localhost:7420/'],
    ['HTTPS://Example.COM', 'https://example.com/'],
    ['mailto:someone@example.com', 'mailto:someone@example.com'],
    // Security review 3, L2: only the address, subject and body of a mailto: link are kept.
    [
      'mailto:a@b.example?attach=/home/me/.ssh/id_ed25519&subject=Hi%20there',
      'mailto:a@b.example?subject=Hi%20there',
    ],
    ['mailto:a@b.example?bcc=spy@evil.example&body=x', 'mailto:a@b.example?body=x'],
    ['mailto:a@b.example?ATTACH=~/.config/Parley/x', 'mailto:a@b.example'],
  ])('opens %j', (raw, href) => {
    expect(checkExternalUrl(raw)).toEqual({ ok: true, url: href });
  });

  it.each([
    'javascript:alert(1)',
    'JavaScript:alert(1)',
    ' javascript:alert(1)',
    'java\tscript:alert(1)',
    'java\nscript:alert(1)',
    'javascript&colon;alert(1)',
    '\u0000javascript:alert(1)',
    'file:///etc/passwd',
    'FILE:///C:/Windows/System32/calc.exe',
    'file://server/share/x.exe',
    'smb://server/share',
    '\\\\server\\share\\x.exe',
    'ms-settings:privacy',
    'vbscript:msgbox(1)',
    'data:text/html,<script>alert(1)</script>',
    'parley://join/general',
    'https:evil.example',
    'https:/evil.example',
    'https://trusted.example@evil.example/',
    'https://user:pass@evil.example/',
    'https://',
    '//evil.example/',
    'evil.example',
    '',
    `https://example.com/${'a'.repeat(3000)}`,
    42,
    null,
  ])('refuses %j', (raw) => {
    expect(checkExternalUrl(raw).ok).toBe(false);
  });

  it('says why, in words', () => {
    expect(checkExternalUrl('file:///etc/passwd')).toEqual({
      ok: false,
      reason: 'file links are not opened',
    });
    expect(checkExternalUrl('https://a@b.example/')).toEqual({
      ok: false,
      reason: 'the link hides a user name',
    });
  });

  it('gives the Electron adapter the checked URL or null (openableExternalUrl)', () => {
    expect(openableExternalUrl('https://example.org/a b')).toBe(null);
    expect(openableExternalUrl('https://example.org/x')).toBe('https://example.org/x');
    expect(openableExternalUrl('javascript:alert(1)')).toBe(null);
  });
});
