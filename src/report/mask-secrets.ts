/**
 * The reports' view of leakproof's one secrets module (`src/secrets/mask-secrets.ts`). The
 * probe already masks its URLs; the reports mask again because a report is the thing people
 * paste into chats and tickets (invariant I8), and a masked `***` stays as it is.
 *
 * @module
 */
export { maskHeaderValue, maskText as maskSecrets } from '../secrets/mask-secrets.js';
