// Help texts. Kept together so the commands and their options read as one reference.

export const MAIN_USAGE = `Usage: gregor <command> [options]

Commands:
  consume <config-file> --topic <name>         print messages from topics, one line each
  cluster describe <config-file>               cluster id, controller, brokers and topics
  groups list <config-file>                    consumer groups in the cluster
  groups describe <config-file> --group <id>   members, assignments, committed offsets and lag

Options:
  -h, --help      show help (also: gregor <command> --help)
  --version       print gregor's version

<config-file> is the hands-on config.ini ([default] plus the [consumer] section) or a Java .properties file.
Exit status: 0 success, 1 failure while running, 2 bad command line or configuration.
`;

export const CONSUME_USAGE = `Usage: gregor consume <config-file> --topic <name> [--topic <name>...] [options]

Subscribes to the topics and prints one line per message, as the hands-on consumer does:
  Consumed event from topic <topic>: key = <key, padded to 12> value = <value, padded to 12>
"Waiting..." goes to stderr while nothing arrives. A broker address that cannot be reached is named at once on
stderr ("gregor: warning: cannot connect to <address>: <reason>; retrying"), and the retries go on. Ctrl-C or
SIGTERM closes cleanly (commits what was printed, leaves the group) and exits 0; a second Ctrl-C exits at once.

Options:
  -t, --topic <name>       topic to subscribe to (repeat for more topics)
  -g, --group <id>         consumer group; sets group.id. Without it and without group.id in the file, a new
                           group gregor-consume-<random> is used and, unless enable.auto.commit is set, nothing
                           is committed
  --from-beginning         read from the earliest offset when the group has no committed offset yet
                           (sets auto.offset.reset=earliest)
  -n, --count <N>          exit after printing N messages
  --format <text|json>     text (default) or json: one object per line with topic, partition, offset, key,
                           value, headers, timestamp; non-UTF-8 bytes in base64, flagged
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  --metrics-port <P>       serve the consumer's metrics in Prometheus' text format at
                           http://127.0.0.1:<P>/metrics while it runs (0: any free port; the URL goes to stderr)
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help

Precedence: the file, then --property, then --group and --from-beginning.
`;

export const CLUSTER_DESCRIBE_USAGE = `Usage: gregor cluster describe <config-file> [options]

Prints the cluster id, the controller, the brokers and the topics with their partition counts
(internal topics marked). Reads the [default] and [admin] sections of an INI file. Gives up when the cluster
has not answered within 15 s (default.api.timeout.ms, unless the file or --property sets it).

Options:
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;

export const GROUPS_LIST_USAGE = `Usage: gregor groups list <config-file> [options]

Lists the groups of the cluster (every broker is asked) with their state, type (classic or consumer, the
KIP-848 protocol) and protocol type. Reads the [default] and [admin] sections of an INI file.
Gives up after 15 s (default.api.timeout.ms, unless the file or --property sets it).

Options:
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;

export const GROUPS_DESCRIBE_USAGE = `Usage: gregor groups describe <config-file> --group <id> [options]

Describes one consumer group (classic or KIP-848): state, protocol and assignor, coordinator, members and the
partitions each owns, and per partition the committed offset, the log end offset and the lag between them.
A group with neither members nor committed offsets does not exist: exit 1.
Reads the [default] and [admin] sections of an INI file. Gives up after 15 s (default.api.timeout.ms).

Options:
  -g, --group <id>         the group to describe (required)
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;
