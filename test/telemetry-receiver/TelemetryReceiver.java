// A broker-side KIP-714 client telemetry receiver for tests: every PushTelemetry the broker accepts is appended to a
// file as one JSON line (client instance id, client id, terminating flag, the payload's size, and the metrics as
// OTLP decoded them), so a test can see exactly what a client pushed. The payload is parsed with the OpenTelemetry
// protobuf classes kafka-clients ships (shaded), so a malformed payload shows up as an "error" line.
//
// Configured in the single node's server.properties by scripts/kafka.mjs, which compiles this file against the
// broker's jars (javac, JDK 17+):
//   metric.reporters=gregor.test.TelemetryReceiver
//   gregor.telemetry.receiver.file=<node dir>/telemetry.jsonl
// A broker with a receiver lists GetTelemetrySubscriptions and PushTelemetry in ApiVersions; clients push nothing
// until a client-metrics subscription (kafka-configs --entity-type client-metrics) asks for metrics.
package gregor.test;

import java.io.FileOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

import org.apache.kafka.common.metrics.KafkaMetric;
import org.apache.kafka.common.metrics.MetricsReporter;
import org.apache.kafka.server.telemetry.ClientTelemetryContext;
import org.apache.kafka.server.telemetry.ClientTelemetryExporter;
import org.apache.kafka.server.telemetry.ClientTelemetryExporterProvider;
import org.apache.kafka.server.telemetry.ClientTelemetryPayload;
import org.apache.kafka.shaded.io.opentelemetry.proto.common.v1.AnyValue;
import org.apache.kafka.shaded.io.opentelemetry.proto.common.v1.KeyValue;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.Metric;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.MetricsData;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.NumberDataPoint;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.ResourceMetrics;
import org.apache.kafka.shaded.io.opentelemetry.proto.metrics.v1.ScopeMetrics;

public class TelemetryReceiver implements MetricsReporter, ClientTelemetryExporterProvider {
    public static final String FILE_CONFIG = "gregor.telemetry.receiver.file";
    private String file;

    @Override
    public void configure(Map<String, ?> configs) {
        Object f = configs.get(FILE_CONFIG);
        file = f == null ? null : f.toString();
    }

    @Override public void init(List<KafkaMetric> metrics) { }
    @Override public void metricChange(KafkaMetric metric) { }
    @Override public void metricRemoval(KafkaMetric metric) { }
    @Override public void close() { }

    @Override
    public ClientTelemetryExporter clientTelemetryExporter() {
        return this::export;
    }

    private void export(ClientTelemetryContext context, ClientTelemetryPayload payload) {
        if (file == null) return;
        StringBuilder out = new StringBuilder(512);
        out.append("{\"receivedAtMs\":").append(System.currentTimeMillis());
        out.append(",\"clientInstanceId\":").append(quote(payload.clientInstanceId().toString()));
        out.append(",\"clientId\":").append(quote(context.authorizableRequestContext().clientId()));
        out.append(",\"pushIntervalMs\":").append(context.pushIntervalMs());
        out.append(",\"terminating\":").append(payload.isTerminating());
        out.append(",\"contentType\":").append(quote(payload.contentType()));
        byte[] data = new byte[payload.data().remaining()];
        payload.data().duplicate().get(data);
        out.append(",\"bytes\":").append(data.length);
        try {
            metrics(out, MetricsData.parseFrom(data));
        } catch (Exception e) {
            out.append(",\"error\":").append(quote(e.toString()));
        }
        out.append("}\n");
        synchronized (TelemetryReceiver.class) {
            try (FileOutputStream os = new FileOutputStream(file, true)) {
                os.write(out.toString().getBytes(StandardCharsets.UTF_8));
            } catch (IOException e) {
                throw new RuntimeException("cannot write " + file, e);
            }
        }
    }

    private static void metrics(StringBuilder out, MetricsData data) {
        out.append(",\"resource\":{");
        boolean first = true;
        for (ResourceMetrics rm : data.getResourceMetricsList()) {
            for (KeyValue kv : rm.getResource().getAttributesList()) {
                if (!first) out.append(',');
                first = false;
                out.append(quote(kv.getKey())).append(':').append(value(kv.getValue()));
            }
        }
        out.append("},\"scopes\":[");
        first = true;
        for (ResourceMetrics rm : data.getResourceMetricsList()) {
            for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                if (!first) out.append(',');
                first = false;
                out.append("{\"name\":").append(quote(sm.getScope().getName()))
                    .append(",\"version\":").append(quote(sm.getScope().getVersion())).append('}');
            }
        }
        out.append("],\"metrics\":[");
        first = true;
        for (ResourceMetrics rm : data.getResourceMetricsList()) {
            for (ScopeMetrics sm : rm.getScopeMetricsList()) {
                for (Metric m : sm.getMetricsList()) {
                    if (!first) out.append(',');
                    first = false;
                    metric(out, m);
                }
            }
        }
        out.append(']');
    }

    private static void metric(StringBuilder out, Metric m) {
        out.append("{\"name\":").append(quote(m.getName()));
        List<NumberDataPoint> points;
        if (m.hasSum()) {
            out.append(",\"type\":\"sum\",\"temporality\":").append(quote(m.getSum().getAggregationTemporality().name()))
                .append(",\"monotonic\":").append(m.getSum().getIsMonotonic());
            points = m.getSum().getDataPointsList();
        } else if (m.hasGauge()) {
            out.append(",\"type\":\"gauge\"");
            points = m.getGauge().getDataPointsList();
        } else {
            out.append(",\"type\":").append(quote(m.getDataCase().name())).append('}');
            return;
        }
        out.append(",\"points\":[");
        boolean first = true;
        for (NumberDataPoint p : points) {
            if (!first) out.append(',');
            first = false;
            out.append("{\"value\":");
            if (p.getValueCase() == NumberDataPoint.ValueCase.AS_INT) out.append(p.getAsInt());
            else out.append(number(p.getAsDouble()));
            out.append(",\"startTimeUnixNano\":").append(p.getStartTimeUnixNano())
                .append(",\"timeUnixNano\":").append(p.getTimeUnixNano()).append(",\"attributes\":{");
            boolean firstAttr = true;
            for (KeyValue kv : p.getAttributesList()) {
                if (!firstAttr) out.append(',');
                firstAttr = false;
                out.append(quote(kv.getKey())).append(':').append(value(kv.getValue()));
            }
            out.append("}}");
        }
        out.append("]}");
    }

    private static String value(AnyValue v) {
        switch (v.getValueCase()) {
            case STRING_VALUE: return quote(v.getStringValue());
            case INT_VALUE: return Long.toString(v.getIntValue());
            case DOUBLE_VALUE: return number(v.getDoubleValue());
            case BOOL_VALUE: return Boolean.toString(v.getBoolValue());
            default: return quote(v.getValueCase().name());
        }
    }

    private static String number(double d) {
        return Double.isFinite(d) ? Double.toString(d) : quote(Double.toString(d));
    }

    private static String quote(String s) {
        if (s == null) return "null";
        StringBuilder b = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') b.append('\\').append(c);
            else if (c < 0x20) b.append(String.format("\\u%04x", (int) c));
            else b.append(c);
        }
        return b.append('"').toString();
    }
}
