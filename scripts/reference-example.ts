import type { GroupCall } from '../src/index.js';

/** The example Group call of ThriveStack's API reference, as a `ThriveStack.group()` call. */
export const referenceExample: GroupCall = {
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
