import { detached } from './detached.js';
import { UsageError } from '../errors/errors.js';

/**
 * Loads a driver's npm package on first use, so that users install only the driver they use
 * (every driver is an optional peer dependency).
 *
 * @returns the package's CommonJS `module.exports` (or its ES namespace when it has no default).
 * @throws UsageError `DRIVER_MISSING` when the package itself cannot be found.
 */
export function importPackage<T>(specifier: string, scheme: string): Promise<T> {
  // Loaded once and kept: the load's promises must not hold the request that happened to start it.
  return detached(() => load<T>(specifier, scheme));
}

async function load<T>(specifier: string, scheme: string): Promise<T> {
  // `mysql2/promise` is a subpath of the `mysql2` package: that is what to install.
  const packageName = specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : specifier.split('/')[0]!;
  let namespace: { default?: unknown };
  try {
    namespace = (await import(specifier)) as { default?: unknown };
  } catch (error) {
    if (!isPackageNotFound(error, packageName)) throw error;
    throw new UsageError(
      'DRIVER_MISSING',
      `the "${packageName}" package is needed for ${scheme.replace(/:$/, '')}: URLs but is not installed; run: npm install ${packageName}`,
      { cause: error },
    );
  }
  return (namespace.default ?? namespace) as T;
}

/**
 * True only when the package itself is missing. A package that is present but fails to load
 * (a missing dependency of its own, a broken native build) keeps its own error.
 */
function isPackageNotFound(error: unknown, packageName: string): boolean {
  if (!(error instanceof Error)) return false;
  const code = (error as NodeJS.ErrnoException).code;
  return (
    (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') &&
    (error.message.includes(`'${packageName}'`) || error.message.includes(`'${packageName}/`))
  );
}
