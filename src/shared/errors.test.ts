import { describe, expect, it } from 'vitest';
import { CodedError, isIpcErrorCode, knownCode } from './errors.js';

describe('error codes', () => {
  it('keeps codes it knows and turns any other into SERVER_ERROR', () => {
    expect(knownCode('NOT_FOUND')).toBe('NOT_FOUND');
    expect(knownCode('NO_ACCOUNT')).toBe('NO_ACCOUNT');
    expect(knownCode('EVIL<script>')).toBe('SERVER_ERROR');
    expect(knownCode(42)).toBe('SERVER_ERROR');
    expect(isIpcErrorCode('__proto__')).toBe(false);
  });

  it('carries a code and a retry time', () => {
    const err = new CodedError('RATE_LIMITED', 'slow down', 500);
    expect(err).toBeInstanceOf(Error);
    expect([err.code, err.message, err.retryAfterMs]).toEqual(['RATE_LIMITED', 'slow down', 500]);
  });
});
