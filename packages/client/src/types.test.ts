/**
 * Type-level checks of the public surface: `npm run typecheck` checks them (tsc over
 * packages/client/tsconfig.test.json); vitest only runs the trivial runtime part.
 */
import { describe, expectTypeOf, it } from 'vitest';
import WS from 'ws';
import wsService, {
  ApiError,
  type ApiErrorCode,
  type ClientEventMap,
  type ConnectionStatus,
  OpenEyeClient,
  type RestErrorCode,
  type StatusChange,
  type WebSocketConstructor,
} from './index.js';

describe('public types', () => {
  it('accepts the browser WebSocket and the ws package as WebSocket implementations', () => {
    expectTypeOf<typeof globalThis.WebSocket>().toExtend<WebSocketConstructor>();
    expectTypeOf<typeof WS>().toExtend<WebSocketConstructor>();
    expectTypeOf(new OpenEyeClient({ WebSocket: WS })).toEqualTypeOf<OpenEyeClient>();
  });

  it('types the guide usage: on() payloads by event type, unsubscribe functions, statuses', () => {
    expectTypeOf(wsService).toEqualTypeOf<OpenEyeClient>();
    const off = wsService.on('statistics_update', (message) => {
      expectTypeOf(message.data.face_recognition.total_people).toEqualTypeOf<number>();
    });
    expectTypeOf(off).toEqualTypeOf<() => void>();
    off();
    wsService.on('status_change', ({ status, previousStatus }) => {
      expectTypeOf(status).toEqualTypeOf<ConnectionStatus>();
      expectTypeOf(previousStatus).toEqualTypeOf<ConnectionStatus>();
    })();
    wsService.on('alert', (alert) => expectTypeOf(alert.id).toEqualTypeOf<string>())();
    wsService.on('message', (m) => expectTypeOf(m.type).toExtend<string>())();
    expectTypeOf<ClientEventMap['status_change']>().toEqualTypeOf<StatusChange>();
    expectTypeOf<ClientEventMap['camera_event']['camera_id']>().toEqualTypeOf<number>();
    // @ts-expect-error: not an event type
    wsService.on('no_such_event', () => {});
  });

  it("types ApiError.code from the server's error catalogue, open to codes it does not know", () => {
    expectTypeOf<ApiError['code']>().toEqualTypeOf<ApiErrorCode>();
    expectTypeOf<RestErrorCode>().toExtend<ApiError['code']>();
    // The catalogue's literals survive in the union (a plain `string` would swallow them) ...
    expectTypeOf<Extract<ApiError['code'], 'gone'>>().toEqualTypeOf<'gone'>();
    expectTypeOf<Extract<ApiError['code'], 'rate_limited'>>().toEqualTypeOf<'rate_limited'>();
    expectTypeOf<Extract<ApiError['code'], 'network_error'>>().toEqualTypeOf<'network_error'>();
    // ... and a code of a newer server, or the client's http_<status>, is still a code.
    expectTypeOf<'some_future_code'>().toExtend<ApiError['code']>();
    expectTypeOf<'http_418'>().toExtend<ApiError['code']>();
    expectTypeOf(new ApiError(410, 'gone', 'Gone').code).toEqualTypeOf<ApiErrorCode>();
  });
});
