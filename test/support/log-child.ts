/** Child process of test/logging.test.ts: one group() call, with the log level from THRIVESTACK_LOG. */
import { ThriveStack } from '../../src/index.js';

const [baseUrl, apiKey] = process.argv.slice(2) as [string, string];
const client = new ThriveStack({ apiKey, baseUrl, minRetryDelay: 1 });
const result = await client.group({ groupId: 'g', userId: 'u' });
process.stdout.write(JSON.stringify(result));
