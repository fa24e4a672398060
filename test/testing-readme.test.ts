/**
 * The README's "Testing your code" section tells the truth: its vitest example is the file
 * examples/user-code.test.ts (which npm run examples runs), byte for byte, and its table names every member of the mock, no more and no less.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { execFile } from 'node:child_process';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { createMockApi } from '../src/testing/index.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const EXAMPLE_FILE = readFileSync(new URL('../examples/user-code.test.ts', import.meta.url), 'utf8');

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

describe('README "Testing your code"', () => {
  const text = section('Testing your code');

  it('shows examples/user-code.test.ts (which npm run examples runs) byte for byte', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBe(EXAMPLE_FILE);
  });

  it("its table names every member of the mock's api", () => {
    const named = [...text.matchAll(/^\| `api\.(\w+)/gm)].map((m) => m[1]).sort();
    const members = Object.keys(createMockApi()).sort();
    expect(named).toEqual(members);
  });
});

describe('README "Against the bundled mock" (below the Quickstart)', () => {
  it('its snippet runs as written and prints what its comment says', async () => {
    const start = README.indexOf('\n### Against the bundled mock\n');
    expect(start).toBeGreaterThan(-1);
    const block = /```ts\n([\s\S]*?)```/.exec(README.slice(start))![1]!;
    expect(block).toContain("from 'thrivestack-group/testing'");
    const src = fileURLToPath(new URL('../src/', import.meta.url));
    const runnable = block
      .replaceAll("'thrivestack-group/testing'", JSON.stringify(join(src, 'testing/index.ts')))
      .replaceAll("'thrivestack-group'", JSON.stringify(join(src, 'index.ts')));
    const dir = mkdtempSync(join(tmpdir(), 'readme-mock-'));
    try {
      const file = join(dir, 'snippet.mts');
      writeFileSync(file, runnable);
      const { stdout } = await promisify(execFile)(process.execPath, ['--import', 'tsx', file], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { ...process.env, THRIVESTACK_API_KEY: '' },
      });
      // the comment in the README shows what console.log prints
      const promised = /console\.log\(eventId, api\.calls\); \/\/ (.*)$/m.exec(block)![1]!;
      expect(stdout.replace(/\s+/g, ' ').trim()).toBe(promised.replace(/\s+/g, ' ').trim());
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
