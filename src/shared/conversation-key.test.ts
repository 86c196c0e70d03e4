import { describe, expect, it } from 'vitest';
import {
  dmKey,
  dmPeerOf,
  groupKey,
  groupNameOf,
  isDmKey,
  isGroupKey,
  parseConversationKey,
  recipientOf,
} from './conversation-key.js';

describe('conversation keys', () => {
  it('round-trips groups and dms', () => {
    expect(parseConversationKey(groupKey('team'))).toEqual({ kind: 'group', name: 'team' });
    expect(parseConversationKey(dmKey('u_1'))).toEqual({ kind: 'dm', userId: 'u_1' });
    expect(groupNameOf('group:a:b')).toBe('a:b');
    expect(dmPeerOf('dm:u_2')).toBe('u_2');
  });

  it('refuses empty and foreign keys', () => {
    for (const key of ['group:', 'dm:', 'room:x', '', 'DM:u']) {
      expect(parseConversationKey(key)).toBeNull();
    }
    expect(groupNameOf('dm:u_1')).toBeNull();
    expect(dmPeerOf('group:x')).toBeNull();
    expect(isDmKey('group:dm:')).toBe(false);
    expect(isGroupKey('dm:group:')).toBe(false);
  });

  it('names the recipient of a post', () => {
    expect(recipientOf('dm:u_3')).toEqual({ user: 'u_3' });
    expect(recipientOf('group:x')).toEqual({ group: 'x' });
  });
});
