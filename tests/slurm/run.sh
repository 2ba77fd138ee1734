#!/usr/bin/env bash
# A sweep through a real Slurm cluster: installs Slurm from Debian's packages if needed,
# starts a one-node cluster on this machine (munged, slurmctld, slurmd, everything under a
# temporary folder), runs tests/slurm/sweep.toml locally, then emits its job array, submits it
# and waits, collects, and requires sweep.csv and sweep-stats.csv byte-identical to the local
# run's. Stops the daemons on exit. Needs root (packages, munge).
# Usage: run.sh [BINARY [SWEEP_FILE]] (default: target/release/gossipsim tests/slurm/sweep.toml);
# with SLURM_CHECK_KEEP=DIR the local and the cluster sweep folders are kept as DIR/local and
# DIR/cluster.
set -euo pipefail
cd "$(dirname "$0")/../.."
bin=$(realpath "${1:-target/release/gossipsim}")
sweep=$(realpath "${2:-tests/slurm/sweep.toml}")

if ! command -v sbatch >/dev/null || ! command -v slurmctld >/dev/null || ! command -v munged >/dev/null; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends slurmctld slurmd slurm-client munge >/dev/null
fi

work=$(mktemp -d /tmp/gossipsim-slurm.XXXXXX)
chmod 755 "$work"
pids=()
cleanup() {
  for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
  for f in "$work"/run/slurmctld.pid "$work"/run/slurmd.pid; do
    [ -f "$f" ] && kill "$(cat "$f")" 2>/dev/null || true
  done
  [ -f "$work/munged.pid" ] && kill "$(cat "$work/munged.pid")" 2>/dev/null || true
  sleep 1
  rm -rf "$work"
}
trap cleanup EXIT

# munge: the package's key; munged refuses to run as root.
mkdir -p /run/munge "$work/munge"
chown munge:munge /run/munge "$work/munge"
if [ ! -f /etc/munge/munge.key ]; then
  dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 2>/dev/null
  chown munge:munge /etc/munge/munge.key && chmod 400 /etc/munge/munge.key
fi
runuser -u munge -- /usr/sbin/munged --socket=/run/munge/munge.socket.2 \
  --pid-file="$work/munge/munged.pid" --log-file="$work/munge/munged.log" --seed-file="$work/munge/seed" --force
cp "$work/munge/munged.pid" "$work/munged.pid"
munge -n | unmunge >/dev/null

host=$(hostname -s)
# slurmd must find its own node name's address.
getent hosts "$host" >/dev/null || echo "127.0.0.1 $host" >> /etc/hosts
cpus=$(nproc)
mem=$(( $(awk '/MemTotal/ {print $2}' /proc/meminfo) / 1024 * 9 / 10 ))
mkdir -p "$work/etc" "$work/run" "$work/spool/ctld" "$work/spool/d" "$work/log"
cat > "$work/etc/slurm.conf" <<CONF
ClusterName=gossipsim-check
SlurmctldHost=$host
SlurmUser=root
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core_Memory
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
MailProg=/bin/true
ReturnToService=2
SchedulerParameters=sched_min_interval=0,batch_sched_delay=0
StateSaveLocation=$work/spool/ctld
SlurmdSpoolDir=$work/spool/d
SlurmctldPidFile=$work/run/slurmctld.pid
SlurmdPidFile=$work/run/slurmd.pid
SlurmctldLogFile=$work/log/slurmctld.log
SlurmdLogFile=$work/log/slurmd.log
SlurmctldPort=16817
SlurmdPort=16818
NodeName=$host CPUs=$cpus RealMemory=$mem State=UNKNOWN
PartitionName=check Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
export SLURM_CONF="$work/etc/slurm.conf"
slurmctld -f "$SLURM_CONF"
slurmd -f "$SLURM_CONF"
for _ in $(seq 1 30); do
  sinfo -h -o %T 2>/dev/null | grep -q idle && break
  sleep 1
done
sinfo -h -o %T | grep -q idle || { echo "slurm-check: the node never became idle"; cat "$work"/log/*.log; exit 1; }

t0=$(date +%s%N)
"$bin" sweep "$sweep" --out "$work/local" --quiet
local_ms=$(( ($(date +%s%N) - t0) / 1000000 ))
started=$(date +%s%N)
"$bin" sweep "$sweep" --out "$work/cluster" --emit slurm --quiet
if ! sbatch --wait --quiet "$work/cluster/sweep.slurm"; then
  echo "slurm-check: the job array failed"; tail -n 20 "$work"/cluster/slurm/*.out; exit 1
fi
"$bin" sweep "$sweep" --out "$work/cluster" --collect
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
cmp "$work/local/sweep.csv" "$work/cluster/sweep.csv"
cmp "$work/local/sweep-stats.csv" "$work/cluster/sweep-stats.csv"
tasks=$(($(wc -l < "$work/local/sweep.csv") - 1))
if [ -n "${SLURM_CHECK_KEEP:-}" ]; then
  mkdir -p "$SLURM_CHECK_KEEP"
  rm -rf "$SLURM_CHECK_KEEP/local" "$SLURM_CHECK_KEEP/cluster"
  cp -r "$work/local" "$work/cluster" "$SLURM_CHECK_KEEP/"
fi
echo "slurm-check: ok: $tasks runs through Slurm in ${elapsed_ms} ms (emit, submit, wait, collect; locally ${local_ms} ms); sweep.csv and sweep-stats.csv identical to the local sweep"
