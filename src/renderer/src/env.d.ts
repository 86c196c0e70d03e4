// Stylesheets are imported for their side effect; Vite bundles them.
declare module '*.css';

// simple-peer's own browser bundle (its Node polyfills inside), typed with what Parley uses.
// Only src/renderer/src/features/call/peer.ts imports it.
declare module 'simple-peer/simplepeer.min.js' {
  interface SimplePeerInstance {
    signal(data: unknown): void;
    destroy(err?: Error): void;
    on(event: 'signal', listener: (data: unknown) => void): this;
    on(event: 'stream', listener: (stream: MediaStream) => void): this;
    on(event: 'connect' | 'close', listener: () => void): this;
    on(event: 'error', listener: (err: Error & { code?: string }) => void): this;
    replaceTrack(old: MediaStreamTrack, next: MediaStreamTrack | null, stream: MediaStream): void;
    addTrack(track: MediaStreamTrack, stream: MediaStream): void;
    removeTrack(track: MediaStreamTrack, stream: MediaStream): void;
    /** Renegotiates (the initiator makes a new offer; the other side asks it to). */
    negotiate(): void;
    _pc: RTCPeerConnection;
  }
  const SimplePeer: new (opts: {
    initiator: boolean;
    stream?: MediaStream;
    config?: RTCConfiguration;
    trickle?: boolean;
  }) => SimplePeerInstance;
  export default SimplePeer;
}

// An asset imported for its URL (Vite copies it beside the bundle and answers its path).
declare module '*?url' {
  const url: string;
  export default url;
}
