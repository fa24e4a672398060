/**
 * Child process of test/huge-answer.test.ts: one warm-up call, then one call per huge answer the
 * server sends, while sampling RSS. Prints JSON: the RSS after warm-up, the peak during the huge
 * answers, and the class and message of each error.
 */
import { ThriveStack } from '../../src/index.js';

const [baseUrl, count] = process.argv.slice(2) as [string, string];
const client = new ThriveStack({ apiKey: 'huge-answer-key', baseUrl, maxRetries: 0, timeout: 120_000 });
const call = { groupId: 'g', userId: 'u' };

await client.group(call); // warm-up: the normal answer
(globalThis as { gc?: () => void }).gc?.();
const baseline = process.memoryUsage().rss;
let peak = baseline;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 2);
const results: Array<{ name: string; message: string }> = [];
for (let i = 0; i < Number(count); i++) {
  const error = await client.group(call).then(
    () => new Error('resolved'),
    (e: Error) => e,
  );
  results.push({ name: error.name, message: error.message });
}
clearInterval(sampler);
peak = Math.max(peak, process.memoryUsage().rss);
process.stdout.write(JSON.stringify({ baseline, peak, results }));
