/**
 * The guide's WebSocketConnectionManager for programs that embed the server: its backend API in
 * TypeScript naming. Events go through the domain, so they are stored, get ids and can be resumed.
 */
import type { AlertType, Statistics } from '@openeye/protocol';
import type { DomainService } from './domain/service.js';
import type { StatisticsService } from './domain/statistics.js';
import type { Hub } from './realtime/hub.js';

export interface ConnectionManager {
  broadcastStatisticsUpdate(data?: Statistics): Promise<void>;
  broadcastCameraEvent(cameraId: number, eventType: string, data?: object): Promise<unknown>;
  broadcastAlert(
    alertType: AlertType,
    data: { message: string; camera_id?: number; [k: string]: unknown },
  ): Promise<unknown>;
  getStatistics: Hub['getStatistics'];
  getUserConnectionCount: Hub['getUserConnectionCount'];
  sendPersonalMessage: Hub['sendPersonalMessage'];
  broadcastToUser: Hub['broadcastToUser'];
  getPresence: Hub['getPresence'];
}

export function connectionManager(hub: Hub, domain: DomainService, statistics: StatisticsService): ConnectionManager {
  return {
    broadcastStatisticsUpdate: async (data) => hub.broadcastStatisticsUpdate(data ?? (await statistics.snapshot())),
    broadcastCameraEvent: (cameraId, eventType, data) => domain.postCameraEvent(cameraId, eventType, data),
    broadcastAlert: (alertType, data) => {
      const { message, camera_id, ...rest } = data;
      return domain.createAlert({
        alert_type: alertType,
        message,
        ...(camera_id === undefined ? {} : { camera_id }),
        data: rest,
      });
    },
    getStatistics: () => hub.getStatistics(),
    getUserConnectionCount: (userId) => hub.getUserConnectionCount(userId),
    sendPersonalMessage: (message, connectionId) => hub.sendPersonalMessage(message, connectionId),
    broadcastToUser: (message, userId) => hub.broadcastToUser(message, userId),
    getPresence: () => hub.getPresence(),
  };
}
