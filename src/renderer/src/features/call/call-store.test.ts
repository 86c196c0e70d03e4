// The call store in Node, over a fake bridge and fake media: what the machine's effects become,
// and what the UI's view shows.
import { describe, expect, it } from 'vitest';
import type { EventFrame } from '../../../../shared/protocol';
import { bridgeInvoke } from '../../state/invoke';
import { fakeBridge } from '../../state/testing/fake-bridge';
import type { CallHost } from './call-host';
import { CallStore } from './call-store';

const fakeStream = () =>
  ({
    getTracks: () => [],
    getAudioTracks: () => [],
    getVideoTracks: () => [],
  }) as unknown as MediaStream;

function setup(busyElsewhere = () => false) {
  const fake = fakeBridge({
    'rtc:signal': () => ({}),
    'calls:keepAwake': () => ({}),
    'calls:ringing': () => ({ notified: true }),
  });
  const host: CallHost = {
    invoke: bridgeInvoke(fake.bridge),
    accountId: () => 'a1',
    myName: () => 'Ann',
    knownName: (id) => (id === 'u_bob' ? 'Bob (as I know him)' : undefined),
    inGroup: () => false,
    recordCall: () => undefined,
  };
  const store = new CallStore(host, fake.bridge, {
    media: { getUserMedia: () => Promise.resolve(fakeStream()) },
    schedule: (f) => f(),
    peers: () => Promise.reject(new Error('no WebRTC in this test')),
    busyElsewhere,
  });
  store.listen();
  return { store, fake };
}

function rtc(data: unknown): EventFrame {
  return { type: 'event', event: 'rtc:signal', data } as EventFrame;
}

async function until(check: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !check(); i++) await new Promise((r) => setTimeout(r, 1));
  expect(check()).toBe(true);
}

describe('CallStore over a fake bridge', () => {
  it('a new call shows nothing of the one before (its group, its notice)', async () => {
    const { store } = setup();
    const four = ['b', 'c', 'd', 'e'].map((x) => ({ userId: `u_${x}`, name: x }));
    store.startGroup('quad', four, false);
    expect(store.getView()).toMatchObject({ group: 'quad', state: { reason: 'too many people' } });
    store.start('u_bob', 'Bob', false);
    const v = store.getView();
    expect(v.state.phase).toBe('outgoing');
    expect(v.group).toBeUndefined();
    expect(v.notice).toBeUndefined();
    expect(v.participants).toEqual([{ userId: 'u_bob', name: 'Bob', phase: 'ringing' }]);
    store.dispose();
  });

  it('rings with our name, and a ring that is not a signal of the contract is dropped', async () => {
    const { store, fake } = setup();
    store.start('u_bob', 'Bob', true);
    const ring = fake.calls.find((c) => c.channel === 'rtc:signal');
    expect(ring?.args).toMatchObject({
      user: 'u_bob',
      signal: { kind: 'ring', video: true, name: 'Ann' },
    });
    store.hangUp();
    store.dismiss();
    fake.push('server:event', {
      accountId: 'a1',
      frame: rtc({
        from: { user_id: 'u_bob', cid: 'c_b' },
        callId: 'call-x',
        signal: { kind: 'ring', video: 'yes' },
      }),
    });
    expect(store.getView().state.phase).toBe('idle');
    fake.push('server:event', {
      accountId: 'a1',
      frame: rtc({
        from: { user_id: 'u_bob', cid: 'c_b' },
        callId: 'call-y',
        signal: { kind: 'ring', video: false, name: 'Your CEO' },
      }),
    });
    await until(() => store.getView().state.phase === 'incoming');
    // Named as this page knows him, never by the ring's own word.
    expect(store.getView().from).toEqual({
      userId: 'u_bob',
      name: 'Bob (as I know him)',
      cid: 'c_b',
    });
    store.dispose();
    expect(fake.listeners()).toBe(0);
  });

  it('a ring while in a group call elsewhere is answered busy and never shown', async () => {
    const { store, fake } = setup(() => true);
    fake.push('server:event', {
      accountId: 'a1',
      frame: rtc({
        from: { user_id: 'u_bob', cid: 'c_b' },
        callId: 'call-z',
        signal: { kind: 'ring', video: true, name: 'Bob' },
      }),
    });
    await until(() => fake.calls.some((c) => c.channel === 'rtc:signal'));
    expect(fake.calls.find((c) => c.channel === 'rtc:signal')?.args).toMatchObject({
      cid: 'c_b',
      callId: 'call-z',
      signal: { kind: 'decline', reason: 'busy' },
    });
    expect(store.getView().state.phase).toBe('idle');
    store.dispose();
  });
});
