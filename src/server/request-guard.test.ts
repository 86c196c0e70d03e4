import { describe, expect, it } from 'vitest';
import { hostName } from './request-guard.js';

describe('hostName', () => {
  it('reads names, IPv4 and bracketed IPv6 with or without a port', () => {
    expect(hostName('Example.COM:7420')).toBe('example.com');
    expect(hostName('127.0.0.1')).toBe('127.0.0.1');
    expect(hostName('[::1]')).toBe('::1');
    expect(hostName('[::1]:7420')).toBe('::1');
  });

  it('gives no name for a malformed bracket (the request fuzz found `[::1` read as `::`)', () => {
    for (const bad of ['[::1', '[', '[]', '[::1]x', '[::1]:', '[::1]:80:80']) {
      expect(hostName(bad)).toBe('');
    }
  });
});
