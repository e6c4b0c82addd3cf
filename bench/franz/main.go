// franz-go consumer for gregor's benchmark (bench/run.mjs builds and runs it; see bench/README.md).
//
// It reads a topic from the beginning in a fresh consumer group, counts records and value bytes until it has seen
// -expected records, then prints one JSON line: the same report every client of the benchmark prints, so the
// harness can compare them. Times are milliseconds since this program started.
package main

import (
	"context"
	"encoding/json"
	"flag"
	"fmt"
	"os"
	"sort"
	"syscall"
	"time"

	"github.com/twmb/franz-go/pkg/kgo"
)

type latency struct {
	N    int      `json:"n"`
	P50  *float64 `json:"p50"`
	P99  *float64 `json:"p99"`
	P999 *float64 `json:"p999"`
	Max  *float64 `json:"max"`
}

type report struct {
	Latency   *latency `json:"latency,omitempty"`
	Records   int64    `json:"records"`
	Bytes     int64    `json:"bytes"`
	ConnectMs float64  `json:"connectMs"`
	FirstMs   float64  `json:"firstMs"`
	// CPU (user + system, every thread) the process had used when the first record arrived: its start-up.
	FirstCPUMs float64 `json:"firstCpuMs"`
	LastMs     float64 `json:"lastMs"`
	Client     string  `json:"client"`
}

func main() {
	start := time.Now()
	bootstrap := flag.String("bootstrap", "127.0.0.1:9092", "bootstrap server")
	topic := flag.String("topic", "", "topic to read")
	group := flag.String("group", "", "consumer group (fresh per run)")
	expected := flag.Int64("expected", 0, "records to read before stopping")
	fetchMaxBytes := flag.Int("fetch-max-bytes", 0, "fetch.max.bytes (0: client default)")
	partitionBytes := flag.Int("max-partition-fetch-bytes", 0, "max.partition.fetch.bytes (0: client default)")
	fetchMinBytes := flag.Int("fetch-min-bytes", 0, "fetch.min.bytes (0: client default)")
	fetchMaxWaitMs := flag.Int("fetch-max-wait-ms", 0, "fetch.max.wait.ms (0: client default)")
	withLatency := flag.Int("latency", 0, "1: report receive time minus CreateTime (after a 3 s warm-up), as bench/clients/common.mjs does")
	flag.Parse()
	if *topic == "" || *group == "" || *expected <= 0 {
		fmt.Fprintln(os.Stderr, "franz: -topic, -group and -expected (> 0) are required")
		os.Exit(2)
	}

	opts := []kgo.Opt{
		kgo.SeedBrokers(*bootstrap),
		kgo.ConsumeTopics(*topic),
		kgo.ConsumerGroup(*group),
		kgo.ConsumeResetOffset(kgo.NewOffset().AtStart()),
	}
	// Only the fetch sizes are ever changed from franz-go's defaults (the "equal fetch sizes" pass).
	if *fetchMaxBytes > 0 {
		opts = append(opts, kgo.FetchMaxBytes(int32(*fetchMaxBytes)))
	}
	if *partitionBytes > 0 {
		opts = append(opts, kgo.FetchMaxPartitionBytes(int32(*partitionBytes)))
	}
	if *fetchMinBytes > 0 {
		opts = append(opts, kgo.FetchMinBytes(int32(*fetchMinBytes)))
	}
	if *fetchMaxWaitMs > 0 {
		opts = append(opts, kgo.FetchMaxWait(time.Duration(*fetchMaxWaitMs)*time.Millisecond))
	}
	client, err := kgo.NewClient(opts...)
	if err != nil {
		fmt.Fprintln(os.Stderr, "franz:", err)
		os.Exit(1)
	}
	defer client.Close()

	ms := func() float64 { return float64(time.Since(start).Microseconds()) / 1000 }
	r := report{Client: "franz-go", ConnectMs: ms()}
	var lat []float64
	warmUntil := 0.0
	if *withLatency == 1 {
		lat = make([]float64, 0, *expected)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
	defer cancel()
	for r.Records < *expected {
		fetches := client.PollFetches(ctx)
		if ctx.Err() != nil {
			fmt.Fprintln(os.Stderr, "franz: timed out after", r.Records, "records")
			os.Exit(1)
		}
		fetches.EachError(func(t string, p int32, err error) {
			fmt.Fprintf(os.Stderr, "franz: %s[%d]: %v\n", t, p, err)
			os.Exit(1)
		})
		fetches.EachRecord(func(rec *kgo.Record) {
			if lat != nil {
				now := float64(time.Now().UnixMicro()) / 1000
				if r.Records == 0 {
					warmUntil = now + 3000
				}
				created := float64(rec.Timestamp.UnixMilli())
				if created >= warmUntil {
					lat = append(lat, now-created)
				}
			}
			if r.Records == 0 {
				r.FirstMs = ms()
				var ru syscall.Rusage
				if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) == nil {
					r.FirstCPUMs = float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e6
				}
			}
			r.Records++
			r.Bytes += int64(len(rec.Value))
		})
	}
	r.LastMs = ms()
	if lat != nil {
		sort.Float64s(lat)
		n := len(lat)
		at := func(q float64) *float64 {
			if n == 0 {
				return nil
			}
			i := int(q*float64(n)+0.999999999) - 1
			if i >= n {
				i = n - 1
			}
			if i < 0 {
				i = 0
			}
			v := float64(int64(lat[i]*1000+0.5)) / 1000
			return &v
		}
		r.Latency = &latency{N: n, P50: at(0.5), P99: at(0.99), P999: at(0.999), Max: at(1)}
	}
	out, _ := json.Marshal(r)
	fmt.Println(string(out))
}
