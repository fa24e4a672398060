/**
 * The code blocks of the docs (README.md, CONTRIBUTING.md, docs/guides/*.md), for the test that
 * checks each of them (test/docs-snippets.test.ts) and for the packaging test, which runs the README's
 * snippets against the installed tarball (scripts/test-pack.ts).
 *
 * A block may carry a marker: an HTML comment on the line just before its opening fence,
 * `<!-- snippet: <how> -->`, which says how it is checked (CONTRIBUTING.md, "Code blocks in the docs").
 */
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const ROOT = fileURLToPath(new URL('..', import.meta.url));

export interface CodeBlock {
  /** The Markdown file, relative to the repository's root. */
  file: string;
  /** The line of the opening fence (1-based). */
  line: number;
  /** The fence's language (`ts`, `sh`, ...), '' when none. */
  lang: string;
  /** The block's text, its indentation (a block inside a list item) removed, ending with a newline. */
  code: string;
  /** The marker's text (`output`, `file examples/x.ts`, `proxy`, `layout`), when there is one. */
  marker: string | undefined;
}

/** The Markdown files whose code blocks are checked, relative to the repository's root. */
export function docFiles(root = ROOT): string[] {
  const guides = readdirSync(`${root}/docs/guides`)
    .filter((name) => name.endsWith('.md'))
    .sort()
    .map((name) => `docs/guides/${name}`);
  return ['README.md', 'CONTRIBUTING.md', ...guides];
}

const OPEN = /^( *)```([\w-]*)\s*$/;
const MARKER = /^\s*<!--\s*snippet:\s*(.*?)\s*-->\s*$/;

/** Every fenced code block of `markdown`, in order. Throws on a fence that is never closed. */
export function codeBlocks(markdown: string, file: string): CodeBlock[] {
  const lines = markdown.split('\n');
  const blocks: CodeBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = OPEN.exec(lines[i]!);
    if (!open) continue;
    const indent = open[1]!.length;
    const body: string[] = [];
    let j = i + 1;
    for (; j < lines.length && !/^ *```\s*$/.test(lines[j]!); j++) body.push(lines[j]!.slice(Math.min(indent, lines[j]!.search(/\S|$/))));
    if (j === lines.length) throw new Error(`${file}:${i + 1}: a code block is never closed`);
    const marker = i > 0 ? MARKER.exec(lines[i - 1]!)?.[1] : undefined;
    blocks.push({ file, line: i + 1, lang: open[2]!, code: `${body.join('\n')}\n`, marker });
    i = j;
  }
  return blocks;
}

/** Every code block of every doc file. */
export function allCodeBlocks(root = ROOT): CodeBlock[] {
  return docFiles(root).flatMap((file) => codeBlocks(readFileSync(`${root}/${file}`, 'utf8'), file));
}

/**
 * What a block's `console.log(...)` lines promise to print: the text of a `// ...` comment that
 * follows a `console.log(...);` on the same line, in order, joined by newlines ('' when none).
 */
export function promisedOutput(code: string): string {
  return [...code.matchAll(/console\.log\(.*\);\s*\/\/ (.*)$/gm)].map((match) => match[1]!).join('\n');
}

/** Whitespace runs as one space, ends trimmed: how printed objects and their promised form compare. */
export const squash = (text: string): string => text.replace(/\s+/g, ' ').trim();
