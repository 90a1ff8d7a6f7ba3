/**
 * `attemptId` of a join-token registration (`POST /api/node/register`): random, at least 128 bits
 * in URL-safe base64 (the engine draws 192), the same on every try of one first registration. A
 * retry whose earlier try's answer was lost presents it to get a fresh credential for the name.
 */
export const REGISTRATION_ATTEMPT_ID = /^[A-Za-z0-9_-]{22,128}$/;
