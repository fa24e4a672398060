import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { WireGroupCall } from '../../src/index.js';

const spec = parse(readFileSync(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8'));

/** The reference's example request body, as the OpenAPI document holds it (named example `reference`). */
export const referenceWireBody: WireGroupCall[] =
  spec.paths['/api/group'].post.requestBody.content['application/json'].examples.reference.value;

/** The same call as a user of `ThriveStack.group()` writes it. */
export { referenceExample as referenceCall } from '../../scripts/reference-example.js';

export const TEST_KEY = 'test-key-not-secret';
