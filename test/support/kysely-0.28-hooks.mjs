/**
 * Module hooks that resolve `kysely` (and its subpaths) to the `kysely-028` alias, npm:kysely@0.28,
 * registered by use-kysely-0.28.ts.
 */
export async function resolve(specifier, context, next) {
  if (specifier === 'kysely' || specifier.startsWith('kysely/')) return next(`kysely-028${specifier.slice('kysely'.length)}`, context);
  return next(specifier, context);
}
