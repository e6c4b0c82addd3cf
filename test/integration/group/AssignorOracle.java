// Runs Kafka's own Java client code (kafka-clients jar) on inputs from gregor's interop test, so the test can
// compare gregor's assignors and consumer protocol codec with the real thing. Launched as a single-file program:
//   java -cp kafka-clients.jar:slf4j-api.jar AssignorOracle.java < commands
// Commands, one per line (fields separated by spaces; lists by commas; "-" for none/empty):
//   TOPIC <name> <partitions> <racks>       racks: per partition joined by ';', a partition's racks by '/', or '-'
//   MEMBER <id> <instance> <rack> <generation> <topics> <owned t:p,...> <userDataHex>
//   ASSIGN <assignor name>                  runs the assignor on the TOPIC/MEMBER lines since the last ASSIGN
//   SERSUB <version> <topics> <owned> <generation> <rack> <userDataHex>     -> HEX <bytes>
//   DESUB <hex>                             -> SUB <version-independent fields, normalised>
//   DEASG <hex>                             -> ASG <partitions> <userDataHex>
// Answers: for ASSIGN, one "M <id> <t:p,...>" line per member then "END"; other commands answer in one line.
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Assignment;
import org.apache.kafka.clients.consumer.ConsumerPartitionAssignor.Subscription;
import org.apache.kafka.clients.consumer.CooperativeStickyAssignor;
import org.apache.kafka.clients.consumer.RangeAssignor;
import org.apache.kafka.clients.consumer.RoundRobinAssignor;
import org.apache.kafka.clients.consumer.StickyAssignor;
import org.apache.kafka.clients.consumer.internals.AbstractPartitionAssignor;
import org.apache.kafka.clients.consumer.internals.ConsumerProtocol;
import org.apache.kafka.common.Node;
import org.apache.kafka.common.PartitionInfo;
import org.apache.kafka.common.TopicPartition;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.TreeMap;

public class AssignorOracle {
    static List<String> list(String s) {
        return s.equals("-") ? new ArrayList<>() : new ArrayList<>(Arrays.asList(s.split(",")));
    }

    static List<TopicPartition> partitions(String s) {
        List<TopicPartition> out = new ArrayList<>();
        for (String x : list(s)) {
            int i = x.lastIndexOf(':');
            out.add(new TopicPartition(x.substring(0, i), Integer.parseInt(x.substring(i + 1))));
        }
        return out;
    }

    static String format(List<TopicPartition> tps) {
        List<String> xs = new ArrayList<>();
        List<TopicPartition> sorted = new ArrayList<>(tps);
        sorted.sort((a, b) -> a.topic().equals(b.topic()) ? Integer.compare(a.partition(), b.partition()) : a.topic().compareTo(b.topic()));
        for (TopicPartition tp : sorted) xs.add(tp.topic() + ":" + tp.partition());
        return xs.isEmpty() ? "-" : String.join(",", xs);
    }

    static ByteBuffer bytes(String hex) {
        if (hex.equals("-")) return null;
        if (hex.equals("empty")) return ByteBuffer.allocate(0);
        byte[] b = new byte[hex.length() / 2];
        for (int i = 0; i < b.length; i++) b[i] = (byte) Integer.parseInt(hex.substring(2 * i, 2 * i + 2), 16);
        return ByteBuffer.wrap(b);
    }

    static String hex(ByteBuffer buf) {
        if (buf == null) return "-";
        ByteBuffer b = buf.duplicate();
        if (!b.hasRemaining()) return "empty";
        StringBuilder s = new StringBuilder();
        while (b.hasRemaining()) s.append(String.format("%02x", b.get()));
        return s.toString();
    }

    public static void main(String[] args) throws Exception {
        BufferedReader in = new BufferedReader(new InputStreamReader(System.in, "UTF-8"));
        Map<String, List<PartitionInfo>> topics = new HashMap<>();
        Map<String, Subscription> members = new TreeMap<>();
        String line;
        while ((line = in.readLine()) != null) {
            String[] f = line.split(" ");
            switch (f[0]) {
                case "TOPIC": {
                    int n = Integer.parseInt(f[2]);
                    String[] racks = f[3].equals("-") ? null : f[3].split(";", -1);
                    List<PartitionInfo> ps = new ArrayList<>();
                    int nodeId = 0;
                    for (int p = 0; p < n; p++) {
                        List<Node> replicas = new ArrayList<>();
                        if (racks != null && !racks[p].isEmpty()) {
                            for (String r : racks[p].split("/")) replicas.add(new Node(nodeId++, "h", 1, r));
                        } else {
                            replicas.add(new Node(nodeId++, "h", 1));
                        }
                        Node[] rs = replicas.toArray(new Node[0]);
                        ps.add(new PartitionInfo(f[1], p, rs[0], rs, rs));
                    }
                    topics.put(f[1], ps);
                    break;
                }
                case "MEMBER": {
                    Optional<String> rack = f[3].equals("-") ? Optional.empty() : Optional.of(f[3]);
                    Subscription s = new Subscription(list(f[5]), bytes(f[7]), partitions(f[6]), Integer.parseInt(f[4]), rack);
                    if (!f[2].equals("-")) s.setGroupInstanceId(Optional.of(f[2]));
                    members.put(f[1], s);
                    break;
                }
                case "ASSIGN": {
                    AbstractPartitionAssignor a;
                    switch (f[1]) {
                        case "range": a = new RangeAssignor(); break;
                        case "roundrobin": a = new RoundRobinAssignor(); break;
                        case "sticky": a = new StickyAssignor(); break;
                        case "cooperative-sticky": a = new CooperativeStickyAssignor(); break;
                        default: throw new IllegalArgumentException(f[1]);
                    }
                    Map<String, List<TopicPartition>> result;
                    if (a instanceof RoundRobinAssignor) {
                        Map<String, Integer> counts = new HashMap<>();
                        topics.forEach((t, ps) -> counts.put(t, ps.size()));
                        result = a.assign(counts, members);
                    } else {
                        result = a.assignPartitions(topics, members);
                    }
                    for (String id : members.keySet()) System.out.println("M " + id + " " + format(result.getOrDefault(id, Collections.emptyList())));
                    System.out.println("END");
                    topics = new HashMap<>();
                    members = new TreeMap<>();
                    break;
                }
                case "SERSUB": {
                    Optional<String> rack = f[5].equals("-") ? Optional.empty() : Optional.of(f[5]);
                    Subscription s = new Subscription(list(f[2]), bytes(f[6]), partitions(f[3]), Integer.parseInt(f[4]), rack);
                    System.out.println("HEX " + hex(ConsumerProtocol.serializeSubscription(s, Short.parseShort(f[1]))));
                    break;
                }
                case "DESUB": {
                    Subscription s = ConsumerProtocol.deserializeSubscription(bytes(f[1]));
                    List<String> ts = new ArrayList<>(s.topics());
                    System.out.println("SUB " + (ts.isEmpty() ? "-" : String.join(",", ts)) + " " + format(s.ownedPartitions()) + " "
                        + s.generationId().orElse(-1) + " " + s.rackId().orElse("-") + " " + hex(s.userData()));
                    break;
                }
                case "DEASG": {
                    Assignment as = ConsumerProtocol.deserializeAssignment(bytes(f[1]));
                    System.out.println("ASG " + format(as.partitions()) + " " + hex(as.userData()));
                    break;
                }
                default:
                    throw new IllegalArgumentException("unknown command " + f[0]);
            }
        }
        System.out.flush();
    }
}
