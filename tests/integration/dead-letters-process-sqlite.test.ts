import { describe } from 'vitest';
import { nulOperatorNameScenario } from './dead-letters-process-scenario.js';

describe('a NUL operator name in the outbox of a real station [sqlite]', () => nulOperatorNameScenario('sqlite'));
