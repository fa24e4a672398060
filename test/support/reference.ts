import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import type { GroupCall, WireGroupCall } from '../../src/index.js';

const spec = parse(readFileSync(new URL('../../openapi/openapi.yaml', import.meta.url), 'utf8'));

/** The reference's example request body, as the OpenAPI document holds it (named example `reference`). */
export const referenceWireBody: WireGroupCall[] =
  spec.paths['/api/group'].post.requestBody.content['application/json'].examples.reference.value;

/** The same call as a user of `ThriveStack.group()` writes it. */
export const referenceCall: GroupCall = {
  groupId: 'ac8db7ba-5139-4911-ba6e-523fd9c4704b',
  userId: '18f716ac-37a4-464f-adb7-3cc30032308c',
  context: {
    deviceId: '7d08298f',
    sessionId: 'session_e2iukz3vduo',
    group_id: 'ac8db7ba-5139-4911-ba6e-523fd9c4704b',
    source: 'product',
  },
  traits: {
    group_type: 'Account',
    account_domain: 'acme.com',
    account_name: 'Acme Corporation',
    industry: 'Technology',
    plan: 'enterprise',
  },
  timestamp: '2024-01-15T10:30:00Z',
};

export const TEST_KEY = 'test-key-not-secret';
