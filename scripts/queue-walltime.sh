#!/bin/bash
# Wall time of a task run locally and through the job queue (docs/distributed.md, "Cost and scaling"):
#   scripts/queue-walltime.sh FILE PRESET WORKERS
# starts its own redis-server (loopback, random password, no persistence) and WORKERS `gmn worker`s,
# each in an empty folder; runs `gmn run FILE --preset PRESET` locally, then queued (workers cold:
# started 2 s before), then queued again (workers warm); prints each wall time with the load average
# and whether the queued results.json equals the local one (timings and devices left out).
# Uses dist/gmn.mjs (node scripts/build.mjs first); everything runs under nice -n 15.
set -eu
FILE=$(realpath "$1"); PRESET=$2; WORKERS=$3
ROOT=$(cd "$(dirname "$0")/.." && pwd)
CLI=$ROOT/dist/gmn.mjs
WORK=$(mktemp -d /tmp/gmn-walltime-XXXXXX)
PORT=$((20000 + RANDOM % 20000))
export GMN_REDIS_PASSWORD=$(head -c 12 /dev/urandom | od -An -tx1 | tr -d ' \n')
redis-server --port "$PORT" --bind 127.0.0.1 --requirepass "$GMN_REDIS_PASSWORD" --save '' --appendonly no --dir "$WORK" > "$WORK/redis.log" 2>&1 &
REDIS=$!
PIDS=()
cleanup() { for p in "${PIDS[@]}"; do kill -TERM "$p" 2> /dev/null || true; done; kill "$REDIS" 2> /dev/null || true; }
trap cleanup EXIT
sleep 1
timed() { # LABEL CWD ARGS...: runs gmn in CWD and prints the wall time
  local label=$1 cwd=$2; shift 2
  mkdir -p "$cwd"
  local s e
  s=$(date +%s.%N)
  (cd "$cwd" && nice -n 15 node "$CLI" "$@" > "$cwd/log" 2>&1)
  e=$(date +%s.%N)
  echo "$label: $(echo "$e - $s" | bc) s; load $(cut -d' ' -f1-3 /proc/loadavg)"
}
timed local "$WORK/local" run "$FILE" --preset "$PRESET" --out "$WORK/local/run"
for i in $(seq 1 "$WORKERS"); do
  mkdir -p "$WORK/worker-$i"
  (cd "$WORK/worker-$i" && exec nice -n 15 node "$CLI" worker --queue "redis://127.0.0.1:$PORT" --cache "$WORK/worker-$i/cache" > "$WORK/worker-$i/log" 2>&1) &
  PIDS+=($!)
done
sleep 2
timed "queued, $WORKERS worker(s), cold" "$WORK/queued" run "$FILE" --preset "$PRESET" --queue "redis://127.0.0.1:$PORT" --out "$WORK/queued/run"
timed "queued, $WORKERS worker(s), warm" "$WORK/queued-again" run "$FILE" --preset "$PRESET" --queue "redis://127.0.0.1:$PORT" --out "$WORK/queued-again/run"
python3 - "$WORK/local/run/results.json" "$WORK/queued/run/results.json" <<'PY'
import json, sys
def strip(x):
    if isinstance(x, dict): return {k: strip(v) for k, v in x.items() if not k.lower().endswith('seconds') and k != 'device'}
    if isinstance(x, list): return [strip(v) for v in x]
    return x
a, b = (strip(json.load(open(f))) for f in sys.argv[1:3])
print('queued results equal the local ones:', a == b)
PY
echo "logs: $WORK"
