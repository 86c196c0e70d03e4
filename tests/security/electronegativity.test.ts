// Doyensec's electronegativity over the app's sources: every finding must be fixed, or justified
// in a comment beside the code it points at (`electronegativity-justified CHECK_ID: why`).
// A deliberately insecure fixture proves the scan runs and reports.
import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { tempDir } from '../helpers/test-server.js';

const ROOT = fileURLToPath(new URL('../..', import.meta.url));
const BIN = join(ROOT, 'node_modules/.bin/electronegativity');
const ELECTRON = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')).devDependencies
  .electron as string;

interface Finding {
  ruleId: string;
  file: string;
  line: number;
  message: string;
}

/** Scans `input`; the release check is left out (it downloads Electron's release list). */
function scan(input: string): Promise<Finding[]> {
  const out = join(tempDir('parley-eneg-'), 'result.sarif');
  return new Promise((resolve, reject) => {
    execFile(
      BIN,
      [
        '-i',
        input,
        '-e',
        ELECTRON,
        '-r',
        '-v',
        'false',
        '-x',
        'AvailableSecurityFixesGlobalCheck',
        '-o',
        out,
      ],
      { cwd: ROOT, timeout: 90_000 },
      (err) => {
        if (err) return reject(err);
        const sarif = JSON.parse(readFileSync(out, 'utf8')) as {
          runs: {
            results: {
              ruleId: string;
              message: { text: string };
              locations: {
                physicalLocation: {
                  artifactLocation: { uri: string };
                  region: { startLine: number };
                };
              }[];
            }[];
          }[];
        };
        resolve(
          sarif.runs[0]!.results.map((r) => ({
            ruleId: r.ruleId,
            file: r.locations[0]!.physicalLocation.artifactLocation.uri,
            line: r.locations[0]!.physicalLocation.region.startLine,
            message: r.message.text,
          })),
        );
      },
    );
  });
}

/** The line (1-based) and the block of comment lines right above it. */
function commentBeside(file: string, line: number): string {
  const lines = readFileSync(file, 'utf8').split('\n');
  const near = [lines[line - 1] ?? ''];
  let inHtmlComment = false;
  for (let i = line - 2; i >= 0; i--) {
    const l = lines[i]!.trim();
    // Walking up, "-->" opens an HTML comment and "<!--" closes it.
    if (l.endsWith('-->')) inHtmlComment = true;
    const isComment = inHtmlComment || /^(\/\/|\/\*|\*)/.test(l);
    if (l.startsWith('<!--')) inHtmlComment = false;
    if (!isComment) break;
    near.push(lines[i]!);
  }
  return near.join('\n');
}

describe('electronegativity', () => {
  it('flags a deliberately insecure main process (the scan works)', async () => {
    const found = await scan('tests/security/fixtures');
    expect(found.map((f) => f.ruleId)).toEqual(
      expect.arrayContaining(['NODE_INTEGRATION_JS_CHECK', 'CONTEXT_ISOLATION_JS_CHECK']),
    );
  }, 120_000);

  it('finds nothing in src that is not fixed or justified beside the code', async () => {
    const found = await scan('src');
    const unjustified = found.filter(
      (f) =>
        !commentBeside(join(ROOT, 'src', f.file), f.line).includes(
          `electronegativity-justified ${f.ruleId}`,
        ),
    );
    console.log(
      `electronegativity: ${found.length} findings in src, ${found.length - unjustified.length} justified beside their code`,
    );
    expect(unjustified).toEqual([]);
  }, 120_000);
});
