/**
 * The probe's view of leakproof's one secrets module (`src/secrets/mask-secrets.ts`), kept at
 * this path for the probe's own imports.
 *
 * @module
 */
export { maskHeaders, maskUrl, scrub, secretsOf } from '../secrets/mask-secrets.js';
