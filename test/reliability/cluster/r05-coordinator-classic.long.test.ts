// R5 group coordinator moves (three-node cluster) for the classic group protocol (left out of CI's 15-minute budget: `npm run test:reliability` runs it). The scenario: r05-coordinator.ts.
import { registerR5 } from './r05-coordinator.js';

registerR5(['classic']);
