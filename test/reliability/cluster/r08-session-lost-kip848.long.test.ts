// R8 session lost / max.poll.interval.ms exceeded for the consumer group protocol (left out of CI's 15-minute budget: `npm run test:reliability` runs it). The scenario: r08-session-lost.ts.
import { registerR8 } from './r08-session-lost.js';

registerR8(['consumer']);
