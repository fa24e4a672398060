/**
 * The README's "Testing your code" section tells the truth: its vitest example is the file
 * test/testing-readme-example.test.ts (which the suite runs), byte for byte but for the import
 * specifiers, and its table names every member of the mock, no more and no less.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { createMockApi } from '../src/testing/index.js';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const EXAMPLE_FILE = readFileSync(new URL('./testing-readme-example.test.ts', import.meta.url), 'utf8');

function section(title: string): string {
  const start = README.indexOf(`\n## ${title}\n`);
  expect(start, `README has a "## ${title}" section`).toBeGreaterThan(-1);
  const end = README.indexOf('\n## ', start + 1);
  return README.slice(start, end === -1 ? undefined : end);
}

describe('README "Testing your code"', () => {
  const text = section('Testing your code');

  it('shows test/testing-readme-example.test.ts as users write it (package imports instead of ../src)', () => {
    const block = /```ts\n([\s\S]*?)```/.exec(text)?.[1];
    expect(block).toBeDefined();
    const asUsersImport = EXAMPLE_FILE.replaceAll("'../src/index.js'", "'thrivestack-group'").replaceAll(
      "'../src/testing/index.js'",
      "'thrivestack-group/testing'",
    );
    expect(asUsersImport).not.toContain('../src');
    expect(block).toBe(asUsersImport);
  });

  it("its table names every member of the mock's api", () => {
    const named = [...text.matchAll(/^\| `api\.(\w+)/gm)].map((m) => m[1]).sort();
    const members = Object.keys(createMockApi()).sort();
    expect(named).toEqual(members);
  });
});
