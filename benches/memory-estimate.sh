#!/usr/bin/env bash
# Is the memory estimate an upper bound on scenarios built to stress each of its terms?
# Generates them (long history, high rate, many topics, many node classes, many traffic
# classes, large segmented messages, a deep message cache, light clients' timers at their floors), runs each with `gossipsim bench` (a child process per
# run, its own peak RSS), and prints peak RSS, estimate and their ratio; fails if any peak
# exceeds its estimate.
#
#   bash benches/memory-estimate.sh [GOSSIPSIM] [THREADS]    (default target/release/gossipsim, 1)
#
# About 5 minutes on 2 cores; the scenarios need ~1 GiB of memory at most.
set -euo pipefail
bin=$(realpath "${1:-target/release/gossipsim}")
threads=${2:-1}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

common='[gossipsub]
preset = "nwaku"
[topology]
kind = "random_dial"
outbound = 6
max_connections = 20
[latency]
kind = "lognormal"
median = "40ms"
sigma = 0.5
'

# A long message history: few nodes, a high network rate, half an hour.
cat >"$dir/long-history.toml" <<EOF
nodes = 50
[time]
warmup = "10s"
duration = "30min"
$common
[[traffic]]
class = "chat"
rate = "50/s"
per = "network"
size = "2000B"
EOF

# A high rate on a thousand nodes.
cat >"$dir/high-rate.toml" <<EOF
nodes = 1000
[time]
warmup = "10s"
duration = "2min"
$common
[[traffic]]
class = "chat"
rate = "30/s"
per = "network"
size = "2000B"
EOF

# Scenario text: a header of nodes and duration; N topics (with a subscriber rule); a
# traffic class on each of N topics.
header() { printf 'nodes = %d\n[time]\nwarmup = "10s"\nduration = "%s"\n%s' "$1" "$2" "$common"; }
topics() {
  for i in $(seq 0 $(($1 - 1))); do
    printf '[[topic]]\nname = "/waku/2/rs/16/%d"\n%b' "$i" "${2:-}"
  done
}
class_per_topic() {
  for i in $(seq 0 $(($1 - 1))); do
    printf '[[traffic]]\nclass = "c%d"\ntopic = "/waku/2/rs/16/%d"\nrate = "1/s"\nper = "network"\nsize = "2000B"\n' "$i" "$i"
  done
}

# Many topics, each with its own traffic class, a tenth of the nodes in each.
{
  header 500 1min
  topics 300 'subscribers = { fraction = 0.1 }\n'
  class_per_topic 300
} >"$dir/many-topics.toml"

# Many node classes.
{
  header 2000 1min
  for i in $(seq 0 399); do
    printf '[[node_class]]\nname = "n%d"\nupload = "%dMbit/s"\n' "$i" $((10 + i))
  done
  printf '[[traffic]]\nclass = "chat"\nrate = "1/s"\nper = "network"\nsize = "2000B"\n'
} >"$dir/many-classes.toml"

# Many node classes, each in one of many topics (delivery groups: topics × classes of them
# could exist, the classes' topics are filled).
{
  header 2000 1min
  topics 200
  for i in $(seq 0 399); do
    printf '[[node_class]]\nname = "n%d"\ntopics = ["/waku/2/rs/16/%d"]\n' "$i" $((i % 200))
  done
  class_per_topic 200
} >"$dir/topics-by-class.toml"

# Many traffic classes (one bandwidth.csv row per node and class and kind).
{
  header 1000 2min
  for i in $(seq 0 999); do
    printf '[[traffic]]\nclass = "class_%d"\nrate = "1/min"\nper = "network"\nsize = "2000B"\n' "$i"
  done
} >"$dir/many-traffic.toml"

# Large messages in segments: bursts of hundreds of messages at one instant.
cat >"$dir/segmented.toml" <<EOF
nodes = 200
[time]
warmup = "10s"
duration = "5min"
$common
[[node_class]]
name = "fast"
upload = "1Gbit/s"
download = "1Gbit/s"
[[traffic]]
class = "file"
rate = "1/s"
per = "network"
size = "1MB"
segment = "4KB"
parity = 0.125
EOF

# A deep message cache: a history of 100,000 heartbeats (issue 32: 14x above the estimate).
cat >"$dir/deep-mcache.toml" <<EOF
nodes = 150
[time]
warmup = "10s"
duration = "5min"
[gossipsub]
preset = "nwaku"
history_length = 100000
[topology]
kind = "random_dial"
outbound = 6
max_connections = 20
[[traffic]]
class = "chat"
rate = "5/s"
per = "network"
size = "2000B"
EOF

# Light clients pinging their services and querying their store at the floors (1 s).
cat >"$dir/fast-timers.toml" <<EOF
nodes = 400
[time]
warmup = "10s"
duration = "5min"
$common
[[topic]]
name = "t"
[[node_class]]
name = "fleet"
share = 0.1
upload = "1Gbit/s"
download = "1Gbit/s"
topics = ["t"]
outbound = 10
max_connections = 200
[[node_class]]
name = "store"
share = 0.02
role = "store"
topics = ["t"]
outbound = 10
max_connections = 200
[[node_class]]
name = "mobile"
share = 0.88
role = "light"
topics = ["t"]
service = "fleet"
service_peers = 2
store = "store"
filter_ping = "1s"
store_interval = "1s"
[[traffic]]
class = "chat"
topic = "t"
rate = "5/s"
per = "network"
size = "2000B"
EOF

names=(long-history high-rate many-topics many-classes topics-by-class many-traffic segmented deep-mcache fast-timers)
for n in "${names[@]}"; do
  "$bin" bench --threads "$threads" --csv "$dir/$n.csv" "$dir/$n.toml" >/dev/null
done

printf '%-14s %12s %12s %8s\n' workload "peak RSS" estimate "est/peak"
fail=0
for n in "${names[@]}"; do
  # peak_rss_bytes and estimate_bytes are the 11th and 12th columns.
  read -r peak est < <(tail -n +2 "$dir/$n.csv" | cut -d, -f11,12 | tr , ' ')
  awk -v n="$n" -v p="$peak" -v e="$est" 'BEGIN { printf "%-14s %8.3f GiB %8.3f GiB %8.2f\n", n, p / 2^30, e / 2^30, e / p }'
  if [ "$peak" -gt "$est" ]; then
    echo "memory-estimate: $n peaked at $peak bytes, above its estimate of $est" >&2
    fail=1
  fi
done
exit $fail
