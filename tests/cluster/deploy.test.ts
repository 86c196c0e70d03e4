// The sample load balancer configuration in deploy/ is valid HAProxy (its TLS line aside, which
// needs a certificate file).
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { haproxyBin } from './harness.js';

describe.skipIf(!haproxyBin())('deploy/haproxy.cfg', () => {
  it('passes haproxy -c and balances over three servers with the PROXY protocol', () => {
    const text = readFileSync('deploy/haproxy.cfg', 'utf8');
    expect(text.match(/^\s*server .* send-proxy-v2 check check-send-proxy/gm)).toHaveLength(3);
    const dir = mkdtempSync(join(tmpdir(), 'parley-haproxy-'));
    try {
      const file = join(dir, 'haproxy.cfg');
      writeFileSync(file, text.replace(/^\s*bind :443 ssl .*$/m, ''));
      const out = execFileSync(haproxyBin()!, ['-c', '-f', file]).toString();
      expect(out).toContain('Configuration file is valid');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
