import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatInviteLink, parseInviteLink } from './invite-link.js';

describe('invite links', () => {
  it('round-trip', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[a-z0-9][a-z0-9_.-]{0,20}$/),
        fc.stringMatching(/^[\w-]{1,40}$/),
        fc.constantFrom('http://127.0.0.1:7420', 'https://chat.example.org'),
        (group, invite, server) => {
          expect(parseInviteLink(formatInviteLink({ group, invite, server }))).toEqual({
            group,
            invite,
            server,
          });
        },
      ),
    );
  });

  it('say what is wrong with a bad one', () => {
    expect(parseInviteLink('https://evil.example/join?group=a')).toHaveProperty('problem');
    expect(parseInviteLink('parley://join?group=..')).toEqual({
      problem: 'The link names no valid group.',
    });
    expect(parseInviteLink('parley://join?group=a&server=javascript:alert(1)')).toHaveProperty(
      'problem',
    );
    expect(parseInviteLink('parley://join?group=a&invite=<x>')).toHaveProperty('problem');
    expect(parseInviteLink('not a link')).toHaveProperty('problem');
  });
});
