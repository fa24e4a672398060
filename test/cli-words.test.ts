/**
 * The command line's messages are in its own terms: a library message that names the constructor
 * (`Invalid option of new ThriveStack(): ...`), the queue's onError hook or `enqueue()` (neither of
 * which a shell user has) is said with the flags the command line has. The messages are the library's
 * own, made by the library's code, so a change of its wording shows here.
 */
import { describe, expect, it } from 'vitest';
import { ThriveStack } from '../src/client.js';
import { ConfigurationError, errorFromResponse } from '../src/errors.js';
import { cliWords } from '../src/cli/connection.js';
import { runCli } from './support/cli.js';

const KEY = 'test-key-cli-words-0123456789';
const LIBRARY_TERMS = /new ThriveStack\(\)|onError|enqueue\(\)|`/;

const response = (status: number, retryAfterMs?: number) =>
  errorFromResponse({ status, serverMessage: undefined, headers: {}, attempts: 4, retryAfterMs, retryAfterCapMs: 60_000 }).message;

describe('library messages in the command line\'s words', () => {
  it("a server's message that holds the library's own phrases does not keep the library's copy from being reworded", () => {
    const said = "refused: `apiKey` or THRIVESTACK_API_KEY (keep them, e.g. from the queue's onError hook), raise `maxRetries`, or use `enqueue()`, which batches calls and backs off for you";
    for (const status of [401, 429, 500]) {
      const message = errorFromResponse({ status, serverMessage: said, headers: {}, attempts: 4, retryAfterCapMs: 60_000 }).message;
      const words = cliWords(message);
      expect(words).not.toMatch(/onError|enqueue\(\)|`apiKey`|THRIVESTACK_API_KEY \(or --api-key-file\) or THRIVESTACK_API_KEY/);
    }
  });

  it('a 500 and a 429: no onError hook, no enqueue(), --max-retries named', () => {
    const server = cliWords(response(500));
    expect(response(500)).toMatch(/onError/); // the library's words the command line replaces
    expect(server).not.toMatch(LIBRARY_TERMS);
    expect(server).toMatch(/send them again later\.$/);
    const limited = cliWords(response(429, 5_000));
    expect(response(429, 5_000)).toMatch(/enqueue\(\)/);
    expect(limited).not.toMatch(LIBRARY_TERMS);
    expect(limited).toMatch(/Wait 5s before sending again, or raise --max-retries\.$/);
  });

  it('a 401 names the variable and the flag that give the key, once each', () => {
    expect(response(401)).toMatch(/`apiKey` or THRIVESTACK_API_KEY/);
    const words = cliWords(response(401));
    expect(words).toMatch(/Check the key passed as THRIVESTACK_API_KEY \(or --api-key-file\) \(ThriveStack dashboard/);
    expect(words.match(/THRIVESTACK_API_KEY/g)).toHaveLength(1);
  });

  it('an option the client refuses: the flag, not the constructor', () => {
    let message = '';
    try {
      new ThriveStack({ apiKey: KEY, timeout: 0 });
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      message = (error as Error).message;
    }
    expect(message).toMatch(/^Invalid option of new ThriveStack\(\): `timeout` must be/);
    expect(cliWords(message)).toMatch(/^--timeout must be/);
  });

  it('thrivestack group --timeout 0: exit 2 naming --timeout, not new ThriveStack()', async () => {
    const result = await runCli(['group', '--group-id', 'acct_1', '--user-id', 'usr_1', '--timeout', '0', '--base-url', 'http://127.0.0.1:9'], {
      env: { THRIVESTACK_API_KEY: KEY },
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/^thrivestack group: --timeout must be a number of milliseconds, greater than 0/);
    expect(result.stderr).not.toMatch(LIBRARY_TERMS);
  });

  it('a failure through a proxy: the advice names the proxy variable', () => {
    const message =
      'Could not reach ThriveStack at https://api.app.thrivestack.ai (1 attempt): the proxy in HTTPS_PROXY answered 407 ' +
      '(Proxy Authentication Required): put its user and password in HTTPS_PROXY. Check the network and `baseUrl`, then retry.';
    expect(cliWords(message)).toMatch(/HTTPS_PROXY\. Check HTTPS_PROXY, then retry\.$/); // the proxy answered: --base-url is not the matter
    const unreached = 'Could not reach ThriveStack at https://api.app.thrivestack.ai (1 attempt): fetch failed through the proxy in https_proxy (ECONNREFUSED). Check the network and `baseUrl`, then retry.';
    expect(cliWords(unreached)).toMatch(/\(ECONNREFUSED\)\. Check https_proxy, the network and --base-url, then retry\.$/);
  });
});
