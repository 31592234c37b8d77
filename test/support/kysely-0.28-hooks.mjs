/**
 * Module hooks that resolve `kysely` (and its subpaths) to the `kysely-028` alias, npm:kysely@0.28:
 * how test/kysely-0.28.test.ts runs leakproof/kysely against the Kysely that Node 20 users get.
 */
export async function resolve(specifier, context, next) {
  if (specifier === 'kysely' || specifier.startsWith('kysely/')) return next(`kysely-028${specifier.slice('kysely'.length)}`, context);
  return next(specifier, context);
}
