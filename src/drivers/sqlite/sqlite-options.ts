/**
 * What `better-sqlite3` accepts, as URL parameters (`sqlite:./app.sqlite3?busy_timeout=2000`)
 * and `driver: {...}` options.
 *
 * @module
 */
import { is, oneOf, RULES, type OptionRules } from '../option-rules.js';

export const SQLITE_URL_RULES: OptionRules = {
  busy_timeout: RULES.ms,
  readonly: RULES.boolean,
  fileMustExist: RULES.boolean,
};

export const SQLITE_OPTION_RULES: OptionRules = {
  readonly: RULES.boolean,
  fileMustExist: RULES.boolean,
  timeout: RULES.ms,
  verbose: RULES.function,
  nativeBinding: oneOf('a path or the addon object', is.string, is.object),
};
