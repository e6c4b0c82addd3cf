// R4 broker faults (three-node cluster) for the classic group protocol (fits CI's budget); consumer: r04-broker-faults-kip848.long.test.ts. The scenario: r04-broker-faults.ts.
import { registerR4 } from './r04-broker-faults.js';

registerR4(['classic']);
