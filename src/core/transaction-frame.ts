/**
 * One `transaction()` call in progress. Frames form a chain through the async context, so a
 * call made inside a transaction body knows it belongs to that transaction (and a nested
 * `transaction()` becomes a savepoint), while a sibling call from elsewhere in the same request
 * waits for the transaction to finish instead of slipping into it.
 */
export class TransactionFrame {
  /** The lease whose transaction this is; frames compare it by identity only. */
  readonly lease: object;
  readonly parent: TransactionFrame | undefined;
  /** The savepoint name for a nested transaction; undefined for a top-level one. */
  readonly savepoint: string | undefined;

  constructor(lease: object, parent: TransactionFrame | undefined, savepoint: string | undefined) {
    this.lease = lease;
    this.parent = parent;
    this.savepoint = savepoint;
  }

  /** The innermost frame of `lease` in the chain starting at `frame`. */
  static nearest(frame: TransactionFrame | undefined, lease: object): TransactionFrame | undefined {
    for (let f = frame; f !== undefined; f = f.parent) if (f.lease === lease) return f;
    return undefined;
  }

  /** Whether `frame` is `target` or runs inside it. */
  static isWithin(frame: TransactionFrame | undefined, target: TransactionFrame): boolean {
    for (let f = frame; f !== undefined; f = f.parent) if (f === target) return true;
    return false;
  }
}
