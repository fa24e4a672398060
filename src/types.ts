/**
 * The types a caller uses. The camelCase ones (`GroupCall`, `GroupTraits`, `GroupContext`) are
 * generated from openapi/openapi.yaml with the one-pass reader (`src/generated/call.ts`); the wire
 * ones (snake_case, as sent) are openapi-typescript's.
 */
import type { components } from './generated/schema.js';

export type { GroupCall, GroupTraits, GroupContext } from './generated/call.js';

type Schemas = components['schemas'];

/** One group call as sent on the wire (snake_case). */
export type WireGroupCall = Schemas['GroupCall'];
export type WireGroupContext = Schemas['GroupContext'];

/** What ThriveStack answers when it accepts a request: `{ success: true, eventId }`. */
export type GroupResponse = Schemas['GroupResponse'];
export type ErrorResponse = Schemas['ErrorResponse'];
