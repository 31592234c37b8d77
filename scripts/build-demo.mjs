// Compiles the demo's example app (examples/polls) into dist/examples/polls, so that
// `npx leakproof demo` runs from an install, where neither the TypeScript sources of the
// example nor tsx are there. Each file is transpiled on its own (the type check is
// `npm run typecheck`); its imports of the library (`../../src/…`) are pointed at the built
// library (`../../…` from dist/examples/polls). Run by `npm run build`, after tsc.
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';

const from = 'examples/polls';
const to = 'dist/examples/polls';
mkdirSync(to, { recursive: true });
for (const file of readdirSync(from).filter((name) => name.endsWith('.ts'))) {
  const source = readFileSync(join(from, file), 'utf8').replaceAll("from '../../src/", "from '../../");
  const { outputText } = ts.transpileModule(source, {
    fileName: file,
    compilerOptions: {
      module: ts.ModuleKind.ES2022,
      target: ts.ScriptTarget.ES2022,
      verbatimModuleSyntax: true,
      inlineSourceMap: true,
      inlineSources: true,
    },
  });
  writeFileSync(join(to, file.replace(/\.ts$/, '.js')), outputText);
}
