import { describePostgres } from './hub-helpers.js';
import { hubAndTwoStationsScenario } from './hub-stations-scenario.js';

describePostgres('hub and two stations as processes', () => hubAndTwoStationsScenario('postgres'));
