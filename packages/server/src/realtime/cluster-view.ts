/**
 * Connection figures as the whole deployment sees them. With one node they are the hub's own;
 * the multi-node engine answers for every node.
 */
import type { ConnectionStatistics, Presence } from '@openeye/protocol';
import type { Hub } from './hub.js';

export interface ClusterView {
  statistics(): Promise<ConnectionStatistics>;
  presence(): Promise<Presence>;
}

export function localClusterView(hub: Hub): ClusterView {
  return {
    statistics: async () => hub.getStatistics(),
    presence: async () => hub.getPresence(),
  };
}
