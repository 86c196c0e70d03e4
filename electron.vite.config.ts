import react from '@vitejs/plugin-react';
import { defineConfig } from 'electron-vite';

export default defineConfig({
  main: {
    build: {
      // Bundled, so the packaged app carries no node_modules (and none of the server's native
      // modules, which would need a rebuild against Electron's ABI).
      externalizeDeps: { exclude: ['ws', 'zod'] },
      rollupOptions: {
        // ws's optional native helpers stay real requires: absent at run time, ws catches the
        // failure and uses its JavaScript code. Stubbed as {} they would break every client
        // frame of 48 bytes or more (tests/app/app.test.ts checks the bundle).
        external: ['bufferutil', 'utf-8-validate'],
      },
    },
  },
  preload: {
    build: {
      rollupOptions: {
        // A sandboxed preload cannot be an ES module: bundle it as one CommonJS file.
        output: { format: 'cjs', entryFileNames: '[name].cjs' },
      },
    },
  },
  renderer: {
    plugins: [react()],
    // The renderer's first JavaScript is what every launch parses: minified (issue 4's budget is
    // 250 KB gzipped; docs/benchmarks.md has the figure).
    build: { minify: true },
  },
});
