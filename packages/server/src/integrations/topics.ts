/**
 * OpenEye's MQTT topic layout, under `OPENEYE_MQTT_TOPIC_PREFIX` (docs/integrations.md):
 *
 *   <p>/in/recognitions              ingest: the body of POST /api/recognitions
 *   <p>/in/alerts                    ingest: the body of POST /api/alerts
 *   <p>/in/cameras/<id>/events       ingest: the body of POST /api/cameras/:id/events
 *   <p>/status                       availability: online (retained), offline (last will, retained)
 *   <p>/out/alerts                   every alert, as the WebSocket sends it (QoS 1)
 *   <p>/out/alerts/updates           alert state changes (the alert lifecycle's events)
 *   <p>/out/cameras/<id>/events      every camera event of camera <id> (QoS 1)
 *   <p>/out/cameras/<id>/last_event  the camera's last event, summarised (retained)
 *   <p>/out/cameras/<id>/online      online | offline (retained)
 *   <p>/out/statistics               the figures (retained)
 */
export function openeyeTopics(p: string) {
  return {
    inRecognitions: `${p}/in/recognitions`,
    inAlerts: `${p}/in/alerts`,
    inCameraEvents: `${p}/in/cameras/+/events`,
    status: `${p}/status`,
    alerts: `${p}/out/alerts`,
    alertUpdates: `${p}/out/alerts/updates`,
    cameraEvents: (id: number) => `${p}/out/cameras/${id}/events`,
    lastEvent: (id: number) => `${p}/out/cameras/${id}/last_event`,
    online: (id: number) => `${p}/out/cameras/${id}/online`,
    statistics: `${p}/out/statistics`,
    /** Any other stored event type, should one be added. */
    other: (type: string) => `${p}/out/${type}`,
  };
}
