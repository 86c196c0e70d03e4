// What the hub hands the broker for the cluster's repair loop: every stored event carries its
// seq, and exactly one publish per event records the published head (`conv`), the last one, so
// that a server dying between a dm's two publishes leaves the head behind and repair tells both.
import { afterEach, describe, expect, it } from 'vitest';
import { InProcessBroker, type BrokerMessage } from '../../src/server/broker.js';
import { startTestServer, type TestServer } from '../helpers/test-server.js';

class RecordingBroker extends InProcessBroker {
  readonly sent: { topic: string; message: BrokerMessage }[] = [];
  override publish(topic: string, message: BrokerMessage): void {
    this.sent.push({ topic, message });
    super.publish(topic, message);
  }
}

describe('published heads', () => {
  let server: TestServer | undefined;
  afterEach(async () => server?.stop());

  it('a dm event goes to both users with its seq; only the second publish records the head', async () => {
    const broker = new RecordingBroker();
    server = await startTestServer({}, { broker });
    const ann = await server.client('ann');
    const bob = await server.client('bob');
    await ann.ok('post', { to: { user: bob.userId }, body: { text: 'hi' }, clientMsgId: 'c1' });
    const sends = broker.sent.filter(
      (s) => s.message.ctl === undefined && s.message.event === 'message:send',
    );
    expect(sends.map((s) => s.topic).sort()).toEqual([`u:${ann.userId}`, `u:${bob.userId}`].sort());
    expect(sends.every((s) => s.message.ctl === undefined && s.message.seq === 1)).toBe(true);
    expect(sends.map((s) => (s.message.ctl === undefined ? s.message.conv : 'ctl'))).toEqual([
      undefined,
      expect.stringMatching(/^dm:/),
    ]);
  });

  it('a group event is published once, recording the head', async () => {
    const broker = new RecordingBroker();
    server = await startTestServer({}, { broker });
    const ann = await server.client('ann');
    await ann.ok('join', { group: 'g' });
    await ann.ok('post', { to: { group: 'g' }, body: { text: 'hi' }, clientMsgId: 'c1' });
    const sends = broker.sent.filter(
      (s) => s.message.ctl === undefined && s.message.event === 'message:send',
    );
    expect(sends).toHaveLength(1);
    expect(sends[0]).toMatchObject({ topic: 'g:g', message: { seq: 1, conv: 'group:g' } });
  });
});
