import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { it } from 'node:test';
import {
  BudgetError,
  ConfigError,
  ConnectionError,
  ERROR_CODES,
  LeakproofError,
  ScopeError,
  StatementError,
  UsageError,
} from '../src/index.js';
import { ERROR_REGISTRY, ProbeError, type ErrorCode, type ErrorEntry } from '../src/errors/errors.js';

/** docs/errors.md's table: code → [class, HTTP answer]. */
async function documentedCodes(): Promise<Map<string, [string, string]>> {
  const doc = await readFile(new URL('../docs/errors.md', import.meta.url), 'utf8');
  return new Map(
    [...doc.matchAll(/^\| `([A-Z_]+)` \| `(\w+)` \| ([\d—]+(?: \+ `Retry-After`)?) \|/gm)].map((m) => [m[1]!, [m[2]!, m[3]!]]),
  );
}

it('every error code is documented in docs/errors.md, and every documented code exists', async () => {
  const documented = await documentedCodes();
  assert.deepEqual([...documented.keys()].sort(), Object.keys(ERROR_CODES).sort());
});

it("each code's class, HTTP status and Retry-After in docs/errors.md are the registry's, entry by entry", async () => {
  const documented = await documentedCodes();
  for (const [code, entry] of Object.entries(ERROR_REGISTRY) as [ErrorCode, ErrorEntry][]) {
    const answer = entry.status === null ? '—' : `${entry.status}${entry.retryAfter === true ? ' + `Retry-After`' : ''}`;
    assert.deepEqual(documented.get(code), [entry.class, answer], code);
  }
});

it("an error raised with a code answers with the registry's status, whatever class raised it", () => {
  const raise: Record<string, (code: ErrorCode) => LeakproofError> = {
    ConfigError: () => new ConfigError(['x']),
    BudgetError: (code) => new BudgetError(code as 'QUEUE_FULL', 'm', { retryAfterMs: 1000 }),
    ScopeError: (code) => new ScopeError(code as 'NO_SCOPE', 'm', { retryAfterMs: 1000 }),
    ConnectionError: (code) => new ConnectionError(code as 'POOL_CLOSED', 'm', { retryAfterMs: 1000 }),
    StatementError: (code) => new StatementError(code as 'STATEMENT_TIMEOUT', 'm', { retryAfterMs: 1000 }),
    UsageError: (code) => new UsageError(code as 'STREAM_OPEN', 'm', { retryAfterMs: 1000 }),
    ProbeError: (code) => new ProbeError(code as 'PROBE_USAGE', ['x']),
  };
  const raisedWithRetry = new Set(['BudgetError', 'ScopeError', 'ConnectionError', 'StatementError', 'UsageError']);
  for (const [code, entry] of Object.entries(ERROR_REGISTRY) as [ErrorCode, (typeof ERROR_REGISTRY)[ErrorCode]][]) {
    const error = raise[entry.class]!(code);
    assert.equal(error.constructor.name, entry.class, code);
    assert.equal(error.code, code);
    assert.equal(error.httpStatus, entry.status ?? 500, code);
    assert.equal(error.answer.status, error.httpStatus, code);
    // Every class was given a retryAfterMs where its constructor takes one: only retryable codes pass it on.
    assert.equal(
      error.headers?.['retry-after'] !== undefined,
      raisedWithRetry.has(entry.class) && (entry as ErrorEntry).retryAfter === true,
      code,
    );
  }
});
