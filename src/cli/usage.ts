// Help texts. Kept together so the commands and their options read as one reference.

export const MAIN_USAGE = `Usage: gregor <command> [options]

Commands:
  consume <config-file> --topic <name>         print messages from topics, one line each
  cluster describe <config-file>               cluster id, controller, brokers and topics
  groups list <config-file>                    consumer and share groups in the cluster
  groups describe <config-file> --group <id>   members, assignments, committed (or share start) offsets and lag
  groups lag <config-file> --group <id>        lag, consumption rate and time to catch up (--watch: live)
  groups reset-offsets <config-file> --group <id> ...
                                               set a group's committed offsets (dry run unless --execute)
  groups delete-offsets <config-file> --group <id> --topic <name>
                                               forget a share group's state for topics

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
                           http://127.0.0.1:<P>/metrics while it runs (0: any free port; the URL goes to stderr);
                           with --share the share consumer's (acquisitions, acknowledgements by type, renewals...)
  --stats [interval]       a statistics line on stderr every interval (default 5s; 10s, 500ms, or ms): records
                           and bytes with their rates, lag, partitions, rebalances (with --count, the progress
                           printed n/N); a total line at the end. stdout keeps only the records
  --share                  read as a member of the share group named by group.id (KIP-932): records are
                           shared with the group's other members; JSON adds deliveryCount; a record is accepted
                           once printed, Ctrl-C releases what was fetched but not printed. Where a new share group
                           starts is its group config share.auto.offset.reset (not --from-beginning)
  --key-deserializer <D>   how keys are decoded: bytes (default: UTF-8 text, base64 in json when not UTF-8),
                           string, json (printed as JSON; json output embeds it), hex, base64
  --value-deserializer <D> the same for values
  --error-policy <P>       a record that cannot be deserialized: stop (default: the error, exit 1), skip (a
                           warning with --verbose, go on), dead-letter (written to the dead-letter topic first)
                           (sets gregor.error.policy). With --share: stop releases the record, skip rejects it
                           (archived), dead-letter accepts it once written
  --dead-letter-topic <T>  where dead-letter writes (default <topic>.dlq; sets gregor.dead.letter.topic)
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help

Precedence: the file, then --property, then the dedicated flags (--group, --from-beginning, --key-deserializer,
--value-deserializer, --error-policy, --dead-letter-topic).
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

Lists the groups of the cluster (every broker is asked) with their state, type (classic, consumer for the
KIP-848 protocol, share for KIP-932 share groups) and protocol type. Reads the [default] and [admin] sections of an INI file.
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
A share group (KIP-932): state, assignor and group epoch, coordinator, members with their epoch and the
partitions each is assigned (members share partitions), and per partition the share start offset (records before
it are acknowledged or archived), the lag the broker computes (KIP-1226: records not yet acknowledged or archived)
and how many members read it; '-' where the group has no state yet.
A group with neither members nor committed offsets does not exist: exit 1.
Reads the [default] and [admin] sections of an INI file. Gives up after 15 s (default.api.timeout.ms).

Options:
  -g, --group <id>         the group to describe (required)
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;

export const GROUPS_LAG_USAGE = `Usage: gregor groups lag <config-file> --group <id> [--watch [--interval <ms>]] [options]

Per partition of one group (classic or KIP-848): the committed offset, the log end offset, the lag, the
consumption rate (committed records/s) and the time to catch up at the measured rates ("never" while the
log grows faster than the group commits). Rates need two samples: without --watch they show '-'.
A share group (KIP-932) shows per partition its start offset, the log end, the lag the broker computes
(KIP-1226: records not yet acknowledged or archived) and how many members share the partition; its rate is
how fast log end - lag moves (records finished per second).
With --watch the table refreshes every --interval ms (default 2000) until Ctrl-C (exit 0): in place on a
terminal; on a pipe or file each refresh follows the last, and --format json prints one object per line.
Reads the [default] and [admin] sections of an INI file. Gives up after 15 s (default.api.timeout.ms).

Options:
  -g, --group <id>         the group (required)
  -w, --watch              refresh until Ctrl-C
  --interval <ms>          refresh interval with --watch (default 2000, at least 100)
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;

export const GROUPS_RESET_OFFSETS_USAGE = `Usage: gregor groups reset-offsets <config-file> --group <id> <scope> <scenario> [--dry-run | --execute]

Sets a consumer group's committed offsets as Kafka's 'kafka-consumer-groups --reset-offsets' does, and prints
the plan (GROUP TOPIC PARTITION NEW-OFFSET). A dry run unless --execute. Only an inactive group (Empty, or
one that does not exist yet) can be reset: with members present it is refused (exit 1), naming them.
A share group (KIP-932) is reset as 'kafka-share-groups --reset-offsets' does: its start offsets are set
(AlterShareGroupOffsets; the group must have no members); the committed offset below is its start offset.

Scope (one):
  -t, --topic <T>[:<p>,..] a topic, all its partitions or the listed ones (repeatable)
  --all-topics             every partition the group has a committed offset (share group: state) for

Scenario (one):
  --to-earliest            the log start offset
  --to-latest              the log end offset
  --to-current             the committed offset (the log end where there is none)
  --to-offset <N>          offset N, clamped to [log start, log end]
  --shift-by <N>           the committed offset plus N (may be negative), clamped; every partition needs one
  --to-datetime <time>     the first offset at or after YYYY-MM-DDTHH:mm:SS[.sss][Z|+hh:mm] (UTC without a
                           zone); the log end where no record is that recent
  --by-duration <PnDTnHnMnS>  as --to-datetime, for now minus the duration (e.g. PT30M, P1DT12H)

Options:
  --dry-run                show the plan only (the default)
  --execute                commit the plan
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;

export const GROUPS_DELETE_OFFSETS_USAGE = `Usage: gregor groups delete-offsets <config-file> --group <id> --topic <name> [--topic <name>...] [options]

Forgets a share group's state (start offset, acquired and acknowledged records) for whole topics, as
kafka-share-groups --delete-offsets does: the next member reading such a topic starts again from the group's
share.auto.offset.reset (latest unless the group config says earliest). The group must have no members
(NON_EMPTY_GROUP otherwise); a consumer group is refused by the broker (GROUP_ID_NOT_FOUND, not a share group).
Reads the [default] and [admin] sections of an INI file. Gives up after 15 s (default.api.timeout.ms).

Options:
  -g, --group <id>         the share group (required)
  -t, --topic <name>       a topic whose state to delete (required; repeat for more topics)
  --format <text|json>     text (default) or json
  -p, --property <k=v>     set a configuration property (repeatable); overrides the file
  -v, --verbose            details on stderr; stack traces on errors
  -h, --help               show this help
`;
