import { describe } from 'vitest';
import { hubAndTwoStationsScenario } from './hub-stations-scenario.js';

describe('hub and two stations as processes [sqlite]', () => hubAndTwoStationsScenario('sqlite'));
