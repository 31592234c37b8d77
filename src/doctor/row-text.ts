/**
 * A column value as text (strings, numbers, bigints, Buffers; NULL becomes ''): the sessions
 * readers' own rule, so the doctor reads every column the same way.
 *
 * @module
 */
export { columnText as rowText } from '../drivers/server-session.js';
