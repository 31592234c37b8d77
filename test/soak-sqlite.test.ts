import { mixedSoak } from './support/soak/soak-suite.js';

mixedSoak(['sqlite']);
