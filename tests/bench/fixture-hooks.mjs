// Lets a bench (plain .mjs on the BUILT station in dist/) use the TypeScript test fixtures as they
// are: Node strips their types, and this resolve hook maps their `.js` imports to what exists —
// a sibling `.ts` under tests/, or the built file in dist/ for main/ and shared/. So a fixture and
// the bench share one copy of every station module (the ones in dist/).
//   await import('./fixture-hooks.mjs'); then import the fixture.
import fs from 'node:fs';
import { registerHooks } from 'node:module';

const ROOT = new URL('../../', import.meta.url);
const BUILT = ['main/', 'shared/'].map((dir) => new URL(dir, ROOT).href);
const DIST = new URL('dist/', ROOT);

registerHooks({
  resolve(specifier, context, nextResolve) {
    const parent = context.parentURL;
    if (parent?.endsWith('.ts') && /^\.\.?\//.test(specifier) && specifier.endsWith('.js')) {
      const target = new URL(specifier, parent);
      if (!fs.existsSync(target)) {
        if (BUILT.some((dir) => target.href.startsWith(dir))) return nextResolve(new URL(target.href.slice(ROOT.href.length), DIST).href, context);
        const asTs = new URL(`${specifier.slice(0, -3)}.ts`, parent);
        if (fs.existsSync(asTs)) return nextResolve(asTs.href, context);
      }
    }
    return nextResolve(specifier, context);
  },
});
