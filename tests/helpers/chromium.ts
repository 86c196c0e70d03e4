// Debian's Chromium for the browser tests, with the flags this closed network needs.
import { existsSync } from 'node:fs';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
export const HAVE_CHROMIUM = existsSync(CHROMIUM);

export function launchChromium(extraArgs: string[] = []): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: [
      '--no-sandbox',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      // Loopback host candidates exist only with this; LOOPBACK_ICE keeps calls on them.
      '--allow-loopback-in-peer-connection',
      ...extraArgs,
    ],
  });
}

/**
 * Keeps WebRTC between test pages on loopback: remote ICE candidates whose address is not
 * 127.0.0.0/8 or ::1 are dropped before the connection sees them (the VM's own interface
 * addresses, which Chromium offers too), whether they come trickled or inside an SDP. Relay
 * candidates of a TURN server on 127.0.0.1 pass. What was kept and dropped is recorded in
 * `globalThis.__ice`, so a test can check that media really went over loopback.
 * (A string: it runs in the page, before the app.)
 */
export const LOOPBACK_ICE = loopbackIce();

/**
 * LOOPBACK_ICE, also keeping candidates of these addresses: this machine's own (Janus offers
 * no loopback candidates, janus-process.ts says why; packets to them never leave the machine).
 */
export function loopbackIce(alsoKeep: string[] = []): string {
  return `(() => {
  const record = (globalThis.__ice = { kept: [], dropped: [], connections: [] });
  const alsoKeep = ${JSON.stringify(alsoKeep)};
  const loopback = (line) => {
    const address = String(line).replace(/^a=/, '').split(' ')[4] ?? '';
    const ok = address.startsWith('127.') || address === '::1' || alsoKeep.includes(address);
    (ok ? record.kept : record.dropped).push(address);
    return ok;
  };
  const proto = RTCPeerConnection.prototype;
  const addIceCandidate = proto.addIceCandidate;
  proto.addIceCandidate = function (candidate, ...rest) {
    const line = candidate && candidate.candidate;
    if (line && !loopback(line)) return Promise.resolve();
    return addIceCandidate.call(this, candidate, ...rest);
  };
  const setRemoteDescription = proto.setRemoteDescription;
  proto.setRemoteDescription = function (description, ...rest) {
    if (description && description.sdp) {
      const sdp = description.sdp
        .split('\\r\\n')
        .filter((l) => !l.startsWith('a=candidate:') || loopback(l))
        .join('\\r\\n');
      description = { type: description.type, sdp };
    }
    return setRemoteDescription.call(this, description, ...rest);
  };
  const Native = RTCPeerConnection;
  globalThis.RTCPeerConnection = class extends Native {
    constructor(...args) {
      super(...args);
      record.connections.push(this);
    }
  };
})()`;
}

/**
 * The local and remote addresses of the candidate pair each open connection of the page uses
 * (read from getStats of the connections LOOPBACK_ICE saw being made). The remote address is ''
 * when Chromium learnt that candidate from an incoming check (prflx: it hides those); the local
 * one is always there, and a socket bound to a loopback address only reaches loopback.
 */
export function selectedAddresses(page: Page): Promise<{ local: string; remote: string }[]> {
  return page.evaluate(`(async () => {
    const out = [];
    for (const pc of globalThis.__ice?.connections ?? []) {
      if (pc.connectionState !== 'connected') continue;
      const report = await pc.getStats();
      report.forEach((s) => {
        if (s.type !== 'transport' || !s.selectedCandidatePairId) return;
        const pair = report.get(s.selectedCandidatePairId);
        const local = report.get(pair.localCandidateId), remote = report.get(pair.remoteCandidateId);
        out.push({ local: local.address ?? local.ip, remote: remote.address ?? remote.ip });
      });
    }
    return out;
  })()`);
}
