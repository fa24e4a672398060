/**
 * A headless Chromium for tests, driven by playwright-core. Which one, in order:
 *
 * 1. `CHROMIUM_PATH`, when set: that executable and no other (a wrong path fails, it is not skipped).
 * 2. The npm-provided Chromium (@sparticuz/chromium, a devDependency; Linux x64): `npm install` is all
 *    it needs.
 * 3. A system Chromium: /usr/bin/chromium, then `chromium`, `chromium-browser`, `google-chrome` on PATH.
 *
 * When none starts, `launchBrowser()` rejects with one line that says what was tried and how to set
 * CHROMIUM_PATH. Tests never skip for want of a browser.
 *
 *     const browser = await launchBrowser();
 *     const page = await browser.context.newPage();
 *     ...
 *     await browser.close();
 */
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { chromium, type Browser, type BrowserContext, type BrowserContextOptions } from 'playwright-core';
import { npmChromiumArgs, npmChromiumExecutable, npmChromiumSupports, npmChromiumVersion } from './npm-chromium.js';

export type BrowserSource = 'CHROMIUM_PATH' | 'npm' | 'system';

/** A browser to try: a known executable, or the npm one (its path is known once it is unpacked). */
export type BrowserCandidate = { source: 'CHROMIUM_PATH' | 'system'; executablePath: string } | { source: 'npm' };

export interface BrowserHost {
  platform: string;
  arch: string;
  /** Whether `path` is an executable file. */
  isExecutable(path: string): boolean;
}

export const SYSTEM_CHROMIUM = '/usr/bin/chromium';
const SYSTEM_COMMANDS = ['chromium', 'chromium-browser', 'google-chrome'];

/** Flags for every source: no sandbox (CI containers run as root), and no background traffic of its own. */
const COMMON_ARGS = [
  '--no-sandbox',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
  '--disable-quic',
];

export const realHost: BrowserHost = {
  platform: process.platform,
  arch: process.arch,
  isExecutable(path) {
    try {
      if (!statSync(path).isFile()) return false;
      accessSync(path, constants.X_OK);
      return true;
    } catch {
      return false;
    }
  },
};

/** The browsers to try, in order of preference, for this environment and host. */
export function browserCandidates(env: Record<string, string | undefined>, host: BrowserHost): BrowserCandidate[] {
  const pinned = env.CHROMIUM_PATH?.trim();
  if (pinned) return [{ source: 'CHROMIUM_PATH', executablePath: pinned }];

  const candidates: BrowserCandidate[] = [];
  if (npmChromiumSupports(host.platform, host.arch)) candidates.push({ source: 'npm' });
  const system = [SYSTEM_CHROMIUM];
  for (const command of SYSTEM_COMMANDS) {
    for (const dir of (env.PATH ?? '').split(delimiter)) if (dir) system.push(join(dir, command));
  }
  for (const path of new Set(system)) {
    if (host.isExecutable(path)) candidates.push({ source: 'system', executablePath: path });
  }
  return candidates;
}

export interface LaunchedBrowser {
  source: BrowserSource;
  executablePath: string;
  browser: Browser;
  /** A fresh context (its own cookies, cache and storage) with the options given. */
  context: BrowserContext;
  /** Closes the context and the browser. */
  close(): Promise<void>;
}

export interface LaunchOptions {
  context?: BrowserContextOptions;
  /** For tests of this module; the real environment, host and npm Chromium otherwise. */
  env?: Record<string, string | undefined>;
  host?: BrowserHost;
  npmExecutable?: () => Promise<string>;
  launch?: (executablePath: string, args: string[]) => Promise<Browser>;
}

/** The error of a test run with no browser: one line, what was tried and what to do. */
export class NoBrowserError extends Error {
  override name = 'NoBrowserError';
}

const oneLine = (error: unknown): string =>
  (error instanceof Error ? error.message : String(error)).split('\n').map((line) => line.trim()).find(Boolean) ?? 'unknown error';

/** Starts the first candidate browser that starts; see the module comment for the order. */
export async function launchBrowser(options: LaunchOptions = {}): Promise<LaunchedBrowser> {
  const env = options.env ?? process.env;
  const host = options.host ?? realHost;
  const launch =
    options.launch ?? ((executablePath, args) => chromium.launch({ executablePath, args, headless: true, timeout: 60_000 }));
  const failures: string[] = [];

  for (const candidate of browserCandidates(env, host)) {
    let executablePath = candidate.source === 'npm' ? '' : candidate.executablePath;
    try {
      let args = COMMON_ARGS;
      if (candidate.source === 'npm') {
        executablePath = await (options.npmExecutable ?? npmChromiumExecutable)();
        args = [...new Set([...(await npmChromiumArgs()), ...COMMON_ARGS])];
      } else if (!host.isExecutable(executablePath)) {
        throw new Error('not an executable file');
      }
      const browser = await launch(executablePath, args);
      const context = await browser.newContext(options.context).catch(async (error: unknown) => {
        await browser.close().catch(() => undefined); // started but unusable: do not leave it running
        throw error;
      });
      return {
        source: candidate.source,
        executablePath,
        browser,
        context,
        close: async () => {
          await context.close().catch(() => undefined);
          await browser.close();
        },
      };
    } catch (error) {
      const label =
        candidate.source === 'npm'
          ? `the npm Chromium (@sparticuz/chromium${executablePath ? ` at ${executablePath}` : ''})`
          : candidate.source === 'CHROMIUM_PATH'
            ? `CHROMIUM_PATH=${executablePath}`
            : executablePath;
      failures.push(`${label}: ${oneLine(error)}`);
    }
  }

  const tried = failures.length > 0 ? `tried ${failures.join('; ')}` : `none found (the npm Chromium, @sparticuz/chromium ${safeVersion()}, runs on Linux x64 only; no ${SYSTEM_CHROMIUM}, no ${SYSTEM_COMMANDS.join('/')} on PATH)`;
  throw new NoBrowserError(
    `No Chromium could start for the browser tests: ${tried}. Point CHROMIUM_PATH at a Chromium or Chrome executable, e.g. CHROMIUM_PATH=/path/to/chromium npm test`,
  );
}

function safeVersion(): string {
  try {
    return npmChromiumVersion();
  } catch {
    return '(not installed: run npm install)';
  }
}
