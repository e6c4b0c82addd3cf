"""confluent-kafka for Python (librdkafka underneath): the poll() loop of its getting-started guide.

Same command line and report line as bench/clients/common.mjs describes; times are milliseconds since this script
started (time.perf_counter()).
"""
import json
import sys
import time

START = time.perf_counter()

from confluent_kafka import Consumer  # noqa: E402  (imported after START: the import is part of startup)


def ms():
    return (time.perf_counter() - START) * 1000.0


def main():
    argv = sys.argv[1:]
    if len(argv) % 2:
        sys.exit('bench client: expected --name value pairs')
    values = {argv[i][2:]: argv[i + 1] for i in range(0, len(argv), 2)}
    expected = int(values['expected'])
    config = {
        'bootstrap.servers': values.get('bootstrap', '127.0.0.1:9092'),
        'group.id': values['group'],
        'auto.offset.reset': 'earliest',
    }
    if 'fetch-max-bytes' in values:
        config['fetch.max.bytes'] = int(values['fetch-max-bytes'])
        config['max.partition.fetch.bytes'] = int(values['max-partition-fetch-bytes'])
        config['fetch.min.bytes'] = int(values['fetch-min-bytes'])
        config['fetch.wait.max.ms'] = int(values['fetch-max-wait-ms'])
    consumer = Consumer(config)
    consumer.subscribe([values['topic']])
    report = {'client': 'confluent-python', 'records': 0, 'bytes': 0, 'connectMs': ms(), 'firstMs': 0, 'lastMs': 0}
    records = 0
    nbytes = 0
    deadline = time.monotonic() + 600
    while records < expected:
        if time.monotonic() > deadline:
            sys.stderr.write(f'bench client: saw {records} of {expected} records\n')
            sys.exit(3)
        msg = consumer.poll(1.0)
        if msg is None:
            continue
        if msg.error():
            sys.stderr.write(f'bench client: {msg.error()}\n')
            continue
        if records == 0:
            report['firstMs'] = ms()
        records += 1
        value = msg.value()
        nbytes += 0 if value is None else len(value)
    report['lastMs'] = ms()
    report['records'] = records
    report['bytes'] = nbytes
    print(json.dumps(report), flush=True)
    consumer.close()


if __name__ == '__main__':
    main()
