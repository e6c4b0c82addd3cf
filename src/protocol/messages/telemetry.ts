// KIP-714 client telemetry: GetTelemetrySubscriptions (71) and PushTelemetry (72). Definitions in gregor's notation
// (see dsl.ts); checked against Kafka 4.3.1's message specs by the spec-drift test. The client side of the exchange
// is src/cluster/telemetry.ts.

import { api, message } from './dsl.js';

export const GetTelemetrySubscriptions = api(71, 'GetTelemetrySubscriptions', {
  request: message('0', '0+', [
    'ClientInstanceId uuid 0+',
  ]),
  response: message('0', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
    'ClientInstanceId uuid 0+',
    'SubscriptionId int32 0+',
    'AcceptedCompressionTypes []int8 0+',
    'PushIntervalMs int32 0+',
    'TelemetryMaxBytes int32 0+',
    'DeltaTemporality bool 0+',
    'RequestedMetrics []string 0+',
  ]),
});

export const PushTelemetry = api(72, 'PushTelemetry', {
  request: message('0', '0+', [
    'ClientInstanceId uuid 0+',
    'SubscriptionId int32 0+',
    'Terminating bool 0+',
    'CompressionType int8 0+',
    'Metrics bytes 0+',
  ]),
  response: message('0', '0+', [
    'ThrottleTimeMs int32 0+',
    'ErrorCode int16 0+',
  ]),
});
