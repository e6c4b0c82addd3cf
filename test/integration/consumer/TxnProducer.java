// Writes transactions with Kafka's own Java producer, for the read_committed test: for each argument
// "commit:<prefix>:<n>" or "abort:<prefix>:<n>", one transaction of n records (values <prefix>-0 .. <prefix>-<n-1>,
// keys the same) to partition 0 of the topic, committed or aborted. Also "plain:<prefix>:<n>" for records of a
// second, non-transactional producer. Prints "done" when every transaction has completed.
//   java -cp '.kafka/lib/*' TxnProducer.java <bootstrap> <topic> <step>...
import java.util.Properties;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.StringSerializer;

public class TxnProducer {
  public static void main(String[] args) throws Exception {
    String bootstrap = args[0];
    String topic = args[1];
    Properties props = new Properties();
    props.put("bootstrap.servers", bootstrap);
    props.put("key.serializer", StringSerializer.class.getName());
    props.put("value.serializer", StringSerializer.class.getName());
    Properties txProps = (Properties) props.clone();
    txProps.put("transactional.id", "gregor-test-" + topic);
    try (KafkaProducer<String, String> tx = new KafkaProducer<>(txProps);
         KafkaProducer<String, String> plain = new KafkaProducer<>(props)) {
      tx.initTransactions();
      for (int i = 2; i < args.length; i++) {
        String[] step = args[i].split(":");
        String kind = step[0];
        String prefix = step[1];
        int n = Integer.parseInt(step[2]);
        if (kind.equals("plain")) {
          for (int j = 0; j < n; j++) plain.send(new ProducerRecord<>(topic, 0, prefix + "-" + j, prefix + "-" + j)).get();
          continue;
        }
        tx.beginTransaction();
        for (int j = 0; j < n; j++) tx.send(new ProducerRecord<>(topic, 0, prefix + "-" + j, prefix + "-" + j));
        tx.flush();
        if (kind.equals("commit")) tx.commitTransaction();
        else if (kind.equals("abort")) tx.abortTransaction();
        else throw new IllegalArgumentException("unknown step " + args[i]);
      }
    }
    System.out.println("done");
  }
}
