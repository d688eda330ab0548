import fs from 'node:fs';
import { ROOT } from './station-fixture.js';

/** The e2e tests run the built app; `npm test` builds first. Say so plainly when it has not. */
export default function globalSetup(): void {
  const needed = ['dist/main/cli/index.js', 'dist/renderer/index.html'];
  const missing = needed.filter((f) => !fs.existsSync(`${ROOT}/${f}`));
  if (missing.length > 0) {
    throw new Error(`The e2e tests need a built app, but ${missing.join(' and ')} ${missing.length > 1 ? 'are' : 'is'} missing. Run "npm run build" first.`);
  }
}
