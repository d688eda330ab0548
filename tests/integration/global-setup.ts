import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = fileURLToPath(new URL('../..', import.meta.url));

/** Integration tests run the built station, hub and renderer; `npm test` builds first. Say so plainly when it has not. */
export default function globalSetup(): void {
  const needed = ['dist/main/cli/index.js', 'dist/main/electron/main.js', 'dist/main/electron/preload.cjs', 'dist/renderer/index.html'];
  const missing = needed.filter((f) => !fs.existsSync(path.join(REPO, f)));
  if (missing.length > 0) {
    throw new Error(
      `The integration tests need a built app, but ${missing.join(', ')} ${missing.length > 1 ? 'are' : 'is'} missing. Run "npm run build" first.`,
    );
  }
}
