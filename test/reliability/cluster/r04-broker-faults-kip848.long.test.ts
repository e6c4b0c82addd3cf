// R4 broker faults (three-node cluster) for the consumer group protocol (left out of CI's 15-minute budget: `npm run test:reliability` runs it). The scenario: r04-broker-faults.ts.
import { registerR4 } from './r04-broker-faults.js';

registerR4(['consumer']);
