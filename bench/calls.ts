/** The group calls every contender sends: the same content, in each contender's own shape. */
import type { GroupCall, WireGroupCall } from '../src/index.js';

const T0 = Date.UTC(2024, 0, 15, 10, 30, 0);

/** Call number `i` as a ThriveStack user writes it (camelCase). */
export function makeCall(i: number): GroupCall {
  return {
    groupId: `grp_${i % 5_000}`,
    userId: `usr_${i}`,
    traits: { account_name: 'Acme Inc', plan: 'enterprise', employees: 250, industry: 'software' },
    context: { deviceId: `dev_${i % 1_000}`, source: 'product' },
    timestamp: new Date(T0 + i * 1_000).toISOString(),
  };
}

/** The same call in the API's wire format (what a bare-fetch user would build by hand). */
export function makeWireCall(i: number): WireGroupCall {
  return {
    group_id: `grp_${i % 5_000}`,
    user_id: `usr_${i}`,
    traits: { account_name: 'Acme Inc', plan: 'enterprise', employees: 250, industry: 'software' },
    context: { device_id: `dev_${i % 1_000}`, source: 'product' },
    timestamp: new Date(T0 + i * 1_000).toISOString(),
  };
}

/** The same call as a Segment `group()` argument. */
export function makeSegmentCall(i: number) {
  return {
    groupId: `grp_${i % 5_000}`,
    userId: `usr_${i}`,
    traits: { account_name: 'Acme Inc', plan: 'enterprise', employees: 250, industry: 'software' },
    context: { deviceId: `dev_${i % 1_000}`, source: 'product' },
    timestamp: new Date(T0 + i * 1_000).toISOString(),
  };
}
