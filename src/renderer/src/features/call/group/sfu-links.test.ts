// The layers a published camera is sent in: as many as Chromium really sends for its size (a
// layer asked for but never sent leaves small tiles on the large layer: the SFU switches down
// only to a layer that arrives).
import { describe, expect, it } from 'vitest';
import { simulcastLayers } from './sfu-links';

const rids = (w: number, h: number) => simulcastLayers(w, h).map((l) => l.rid);

describe('simulcastLayers', () => {
  it('three from 960x540, two from 480x270, none below', () => {
    expect(rids(1280, 720)).toEqual(['h', 'm', 'l']);
    expect(rids(960, 540)).toEqual(['h', 'm', 'l']);
    // Chromium's fake camera: it sends two layers of it, never a third.
    expect(rids(640, 480)).toEqual(['h', 'l']);
    expect(rids(480, 270)).toEqual(['h', 'l']);
    expect(rids(320, 240)).toEqual([]);
    expect(rids(0, 0)).toEqual([]);
  });

  it('each smaller layer is half the one above', () => {
    expect(simulcastLayers(1280, 720).map((l) => l.scaleResolutionDownBy ?? 1)).toEqual([1, 2, 4]);
    expect(simulcastLayers(640, 480).map((l) => l.scaleResolutionDownBy ?? 1)).toEqual([1, 2]);
  });
});
