import { migration001 } from './001-initial.js';
import { migration002 } from './002-orders-labels-units.js';
import { migration003 } from './003-dead-letters.js';
import { migration004 } from './004-library.js';
import { migration005 } from './005-secrets.js';

/** Numbered migrations, applied in order; PRAGMA user_version holds the last one applied. Never edit one that shipped. */
export const STATION_MIGRATIONS: readonly string[] = [migration001, migration002, migration003, migration004, migration005];
