/**
 * The most a route reads of a body, so an unauthenticated client cannot make
 * the server read and parse megabytes for nothing. A route that takes more
 * says so with its own `bodyLimit`; uploads of the peer protocol are streams
 * counted by the store (src/incoming), not bodies.
 */

/** A form's worth of JSON: sign-in, setup, a peer's fields, settings. */
export const DEFAULT_BODY_LIMIT = 16 * 1024;

/** JSON holding lists: restore selections (up to 100,000 paths), usernames to restore or verify. */
export const LIST_BODY_LIMIT = 1024 * 1024;

/** The peer protocol's JSON requests (lists of up to 1,000 stored paths): unchanged from protocol v1's first release. */
export const PEER_PROTOCOL_BODY_LIMIT = 1024 * 1024;
