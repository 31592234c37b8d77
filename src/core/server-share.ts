import type { ServerLimits } from '../drivers/driver.js';
import type { ResolvedAlias } from './config/options.js';

/**
 * A budget is per process; the server's limit is for every process using it. Warns once, at
 * the first connect, when this process alone may take more than `serverShareWarning` percent of
 * what the server allows this user, with the per-process budget that would fit.
 */
export function warnOfServerShare(config: ResolvedAlias, limits: ServerLimits): void {
  const { sessionLimit, sessionLimitName } = limits;
  const percent = config.serverShareWarning;
  // Behind a transaction pooler this process's connections are the pooler's clients; the
  // pooler's own pool is what takes the server's sessions.
  if (config.pooler === 'transaction') return;
  if (percent === 0 || sessionLimit === 0 || config.maxConnections * 100 <= sessionLimit * percent) return;
  const share = Math.round((config.maxConnections / sessionLimit) * 100);
  process.emitWarning(
    `alias "${config.alias}": maxConnections ${config.maxConnections} is ${share} % of the ${sessionLimit} sessions the server allows this user (${sessionLimitName}), all processes together; with N processes keep maxConnections at most ${sessionLimit} / N (leakproof doctor --processes N prints it). Set serverShareWarning to silence this.`,
    { code: 'LEAKPROOF_BUDGET', type: 'LeakproofWarning' },
  );
}
