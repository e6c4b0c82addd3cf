// R8 session lost / max.poll.interval.ms exceeded for the classic group protocol (fits CI's budget); consumer: r08-session-lost-kip848.long.test.ts. The scenario: r08-session-lost.ts.
import { registerR8 } from './r08-session-lost.js';

registerR8(['classic']);
