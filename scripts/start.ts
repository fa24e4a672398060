/**
 * `npm start`: the main job against the bundled mock. Starts a Prism mock of openapi/openapi.yaml,
 * sends the API reference's example Group call through `ThriveStack`, prints what was sent (API key
 * redacted) and what came back, then stops the mock.
 */
import { ThriveStack, type DebugEvent } from '../src/index.js';
import { startPrism } from './prism.js';
import { referenceExample } from './reference-example.js';

const prism = await startPrism();
let exitCode = 0;
try {
  console.log(`Prism mock of openapi/openapi.yaml listening on ${prism.url} (pid ${prism.pid})\n`);
  const client = new ThriveStack({
    apiKey: process.env.THRIVESTACK_API_KEY ?? 'demo-key-for-the-mock',
    baseUrl: prism.url,
    debug: (event: DebugEvent) => {
      if (event.type === 'request') {
        console.log(`→ ${event.method} ${event.url}`);
        for (const [name, value] of Object.entries(event.headers)) console.log(`  ${name}: ${value}`);
        console.log(JSON.stringify(JSON.parse(event.body), null, 2).replace(/^/gm, '  '));
      } else if (event.type === 'response') {
        console.log(`\n← ${event.status} in ${event.ms} ms\n  ${event.body}`);
      } else {
        console.log(`  (${event.type}) ${'error' in event ? event.error : event.reason}`);
      }
    },
  });
  const result = await client.group(referenceExample);
  console.log(`\nThriveStack accepted the call: eventId ${result.eventId}`);
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  exitCode = 1;
} finally {
  await prism.stop();
}
process.exit(exitCode);
