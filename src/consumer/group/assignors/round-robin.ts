// "roundrobin": all partitions of all subscribed topics, topics in name order and partitions ascending, dealt one
// at a time to the members in a circle (static members first by group.instance.id - KIP-345 - then by member id).
// A member not subscribed to the current partition's topic is skipped, and the circle moves on from where it
// stopped. With identical subscriptions every member ends with floor(P/M) or that plus one. With different
// subscriptions the skipping can unbalance members that subscribe to the same topics (the Java client documents
// this too); the sticky assignors are the answer for that case.

import { type AssignmentInput, type Assignor, type GroupAssignment, assignmentFromOwners, buildGroupModel, compareMembersStaticFirst } from './assignor.js';

function assignRoundRobin(input: AssignmentInput): GroupAssignment {
  const model = buildGroupModel(input);
  const owner = new Int32Array(model.partitionCount).fill(-1);
  const circle = [...model.members].sort(compareMembersStaticFirst);
  const subscribed = circle.map((m) => new Set(m.topics));
  let at = 0;
  // Global partition order is already topics by name, then partitions ascending.
  for (let p = 0; p < model.partitionCount; p++) {
    const t = model.topicOf[p];
    // Every topic in the model has at least one subscriber, so this loop ends within one turn of the circle.
    while (!subscribed[at].has(t)) at = (at + 1) % circle.length;
    owner[p] = circle[at].index;
    at = (at + 1) % circle.length;
  }
  return assignmentFromOwners(model, owner);
}

export const roundRobinAssignor: Assignor = {
  name: 'roundrobin',
  rebalanceProtocols: ['EAGER'],
  subscriptionUserData: () => null,
  assign: assignRoundRobin,
};
