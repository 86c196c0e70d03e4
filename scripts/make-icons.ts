// Renders the app and tray icons (resources/*.png) from SVG with Debian's Chromium.
// Run after changing the artwork: npx tsx scripts/make-icons.ts. The PNGs are committed.
import { writeFileSync } from 'node:fs';
import { chromium } from 'playwright-core';

const bubble = (fill: string, dot?: string) => `
<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64">
  <path d="M12 10h40a8 8 0 0 1 8 8v22a8 8 0 0 1-8 8H30l-13 10v-10h-5a8 8 0 0 1-8-8V18a8 8 0 0 1 8-8z" fill="${fill}"/>
  ${dot ? `<circle cx="52" cy="12" r="11" fill="${dot}" stroke="#fff" stroke-width="3"/>` : ''}
</svg>`;

const icons: Record<string, { svg: string; sizes: number[] }> = {
  icon: {
    svg: `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 64 64"><rect width="64" height="64" rx="14" fill="#3b5bdb"/>
      <path d="M16 18h32a6 6 0 0 1 6 6v14a6 6 0 0 1-6 6H30l-10 8v-8h-4a6 6 0 0 1-6-6V24a6 6 0 0 1 6-6z" fill="#fff"/></svg>`,
    sizes: [512],
  },
  'tray-normal': { svg: bubble('#3b5bdb'), sizes: [16, 32] },
  'tray-unread': { svg: bubble('#3b5bdb', '#e03131'), sizes: [16, 32] },
  'tray-offline': { svg: bubble('#868e96'), sizes: [16, 32] },
};

const browser = await chromium.launch({
  executablePath: '/usr/bin/chromium',
  args: ['--no-sandbox'],
});
try {
  const page = await browser.newPage();
  for (const [name, { svg, sizes }] of Object.entries(icons)) {
    for (const size of sizes) {
      await page.setViewportSize({ width: size, height: size });
      await page.setContent(
        `<html><body style="margin:0;background:transparent">${svg.replace('<svg ', `<svg width="${size}" height="${size}" `)}</body></html>`,
      );
      const png = await page.screenshot({
        omitBackground: true,
        clip: { x: 0, y: 0, width: size, height: size },
      });
      const file = `resources/${name}${size === 32 ? '@2x' : ''}.png`;
      writeFileSync(file, png);
      console.log(`${file} ${png.length} bytes`);
    }
  }
} finally {
  await browser.close();
}
