/**
 * The caller's types as a user meets them in an editor (issue 19): `created_at` and `timestamp` take a
 * Date, and a call missing a required field gets one short error naming it, not a wall of mapped types.
 * Each snippet is type-checked with the TypeScript compiler and the repository's own options.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { ROOT } from './support/cli.js';

const dir = mkdtempSync(join(ROOT, 'test', '.types-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function diagnostics(source: string): string[] {
  const file = join(dir, `snippet-${Math.random().toString(36).slice(2)}.ts`);
  writeFileSync(file, `import type { GroupCall, GroupTraits, GroupContext } from '../../src/index.js';\n${source}\nexport {};\n`);
  const config = ts.getParsedCommandLineOfConfigFile(join(ROOT, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} })!;
  const program = ts.createProgram([file], { ...config.options, noEmit: true });
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file?.fileName === file)
    .map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('the caller types', () => {
  it('created_at and timestamp take a Date, as they do at run time', () => {
    expect(
      diagnostics(`
        const call: GroupCall = { groupId: 'g', userId: 'u', traits: { created_at: new Date(), plan: 'pro', seats: 12 }, timestamp: new Date() };
        const traits: GroupTraits = { created_at: '2023-06-01' };
        const context: GroupContext = { deviceId: 'd', source: 'product', page: '/home' };
        void call; void traits; void context;`),
    ).toEqual([]);
  }, 60_000);

  it('a missing required field is one short error naming the field', () => {
    const errors = diagnostics(`const call: GroupCall = { groupId: 'g' }; void call;`);
    expect(errors).toEqual([`Property 'userId' is missing in type '{ groupId: string; }' but required in type 'GroupCall'.`]);
  }, 60_000);

  it('a wrong type names the field and what it takes', () => {
    const errors = diagnostics(`const call: GroupCall = { groupId: 'g', userId: 'u', traits: { employees: 'many' } }; void call;`);
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/Type 'string' is not assignable to type 'number'/);
    expect(errors[0]!.length).toBeLessThan(200);
    const source = diagnostics(`const call: GroupCall = { groupId: 'g', userId: 'u', context: { source: 'web' } }; void call;`);
    expect(source.join('\n')).toMatch(/'"web"' is not assignable to type '"product" \| "marketing"/);
  }, 60_000);
});
