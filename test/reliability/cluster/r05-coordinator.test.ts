// R5 group coordinator moves (three-node cluster) for the consumer group protocol (fits CI's budget); classic: r05-coordinator-classic.long.test.ts. The scenario: r05-coordinator.ts.
import { registerR5 } from './r05-coordinator.js';

registerR5(['consumer']);
