import { describePostgres } from './hub-helpers.js';
import { nulOperatorNameScenario } from './dead-letters-process-scenario.js';

describePostgres('a NUL operator name in the outbox of a real station', () => nulOperatorNameScenario('postgres'));
