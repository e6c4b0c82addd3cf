// Kafka's Java consumer for the latency workloads of gregor's benchmark (consumer-perf-test reports no latency).
// bench/lib/setup.mjs compiles it once into .kafka/bench/java-latency-<hash> (run as a source file it compiled at each
// start, seconds on a loaded machine); by hand, as a source file (Java 11+) with Kafka's jars on the class path:
//   java -cp '.kafka/lib/*' bench/clients/JavaLatency.java --bootstrap B --topic T --group G --expected N --latency 1
// It reads T from the beginning in the fresh group G with the consumer's defaults and prints the report line of
// bench/clients/common.mjs, latency included: receive time minus CreateTime (ms) of the records created after the
// warm-up (3 s after the first record arrived). With --latency 1 it prints "ready" once the consumer exists.
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.ConsumerRecords;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;

public class JavaLatency {
  static final long START = System.nanoTime();

  static double ms() {
    return (System.nanoTime() - START) / 1e6;
  }

  static double wallMs() {
    Instant now = Instant.now();
    return now.getEpochSecond() * 1000.0 + now.getNano() / 1e6;
  }

  static String pct(double[] lat, int n, double q) {
    if (n == 0) return "null";
    int i = Math.min(n - 1, Math.max(0, (int) Math.ceil(q * n) - 1));
    return String.valueOf(Math.round(lat[i] * 1000) / 1000.0);
  }

  public static void main(String[] argv) {
    Map<String, String> a = new HashMap<>();
    for (int i = 0; i + 1 < argv.length; i += 2) a.put(argv[i].replaceFirst("^--", ""), argv[i + 1]);
    long expected = Long.parseLong(a.get("expected"));
    boolean latency = "1".equals(a.get("latency"));
    Properties p = new Properties();
    p.put("bootstrap.servers", a.getOrDefault("bootstrap", "127.0.0.1:9092"));
    p.put("group.id", a.get("group"));
    p.put("auto.offset.reset", "earliest");
    p.put("key.deserializer", ByteArrayDeserializer.class.getName());
    p.put("value.deserializer", ByteArrayDeserializer.class.getName());
    if (a.containsKey("fetch-max-bytes")) {
      p.put("fetch.max.bytes", a.get("fetch-max-bytes"));
      p.put("max.partition.fetch.bytes", a.get("max-partition-fetch-bytes"));
      p.put("fetch.min.bytes", a.get("fetch-min-bytes"));
      p.put("fetch.max.wait.ms", a.get("fetch-max-wait-ms"));
    }
    double[] lat = latency ? new double[(int) expected] : null;
    int latN = 0;
    double warmUntil = Double.MAX_VALUE;
    long records = 0;
    long bytes = 0;
    double firstMs = 0;
    double lastMs = 0;
    double connectMs;
    try (KafkaConsumer<byte[], byte[]> consumer = new KafkaConsumer<>(p)) {
      consumer.subscribe(List.of(a.get("topic")));
      connectMs = ms();
      // bench/run.mjs starts the latency run's producer on this line: the JVM's start is not the producer's time.
      if (latency) {
        System.out.println("ready");
        System.out.flush();
      }
      while (records < expected) {
        ConsumerRecords<byte[], byte[]> batch = consumer.poll(Duration.ofMillis(100));
        for (ConsumerRecord<byte[], byte[]> r : batch) {
          if (lat != null) {
            double now = wallMs();
            if (records == 0) warmUntil = now + 3000;
            if (r.timestamp() >= warmUntil) lat[latN++] = now - r.timestamp();
          }
          if (records == 0) firstMs = ms();
          records++;
          bytes += r.value() == null ? 0 : r.value().length;
        }
      }
      lastMs = ms();
      StringBuilder out = new StringBuilder("{");
      if (lat != null) {
        Arrays.sort(lat, 0, latN);
        out.append("\"latency\":{\"n\":").append(latN).append(",\"p50\":").append(pct(lat, latN, 0.5))
          .append(",\"p99\":").append(pct(lat, latN, 0.99)).append(",\"p999\":").append(pct(lat, latN, 0.999))
          .append(",\"max\":").append(pct(lat, latN, 1)).append("},");
      }
      out.append("\"records\":").append(records).append(",\"bytes\":").append(bytes).append(",\"connectMs\":").append(connectMs)
        .append(",\"firstMs\":").append(firstMs).append(",\"lastMs\":").append(lastMs).append(",\"client\":\"java\"}");
      System.out.println(out);
      System.out.flush();
    }
  }
}
