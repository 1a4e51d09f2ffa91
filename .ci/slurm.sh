#!/usr/bin/env bash
# Issue #20: a single-node Slurm (Debian's munge, slurmctld, slurmd) on 127.0.0.1 for the farm
# tests, without systemd. Configuration, state, logs and PID files live in one temporary folder.
#   eval "$(bash .ci/slurm.sh start)"   # prints `export SLURM_CONF=… MOCAP_SLURM=1 MOCAP_SLURM_DIR=…`
#   bash .ci/slurm.sh stop [DIR]        # stops the daemons started in DIR (default: $MOCAP_SLURM_DIR)
#                                       # and removes it
# Needs root (slurmd runs jobs as their user; munged runs as user munge).
set -euo pipefail
cmd=${1:-}
case "$cmd" in
start)
  dir=$(mktemp -d /tmp/mocap-slurm.XXXXXX)
  chmod 755 "$dir"
  host=$(hostname -s)
  mkdir -p "$dir/state" "$dir/spool" "$dir/log"
  # munge: a key of its own in the temporary folder, socket in /run/munge.
  install -d -o munge -g munge -m 0755 /run/munge
  install -d -o munge -g munge -m 0700 "$dir/munge"
  dd if=/dev/urandom of="$dir/munge/munge.key" bs=1024 count=1 status=none
  chown munge:munge "$dir/munge/munge.key"; chmod 0400 "$dir/munge/munge.key"
  runuser -u munge -- /usr/sbin/munged --key-file="$dir/munge/munge.key" \
    --pid-file="$dir/munge/munged.pid" --log-file="$dir/munge/munged.log" \
    --seed-file="$dir/munge/munged.seed" --socket=/run/munge/munge.socket.2 --force >&2
  cpus=$(nproc)
  # Scheduling latency is the farm runner's per-job overhead (target ≤ 1 s, `mocap bench farm`).
  # Without an Epilog, slurmd answers the end of a job with "already complete", which frees the CPU
  # but triggers no scheduling: the next array task then waits for the periodic pass (sched_interval,
  # at least 1 s), ~0.9 s per job slot measured. A (trivial) Epilog makes slurmd send
  # MESSAGE_EPILOG_COMPLETE, which runs the scheduler at once (at most every sched_min_interval µs):
  # ~0.1 s per job slot. Submissions are still picked up by the periodic pass (≤ 1 s, once per run).
  cat >"$dir/slurm.conf" <<CONF
ClusterName=mocap-ci
SlurmctldHost=$host(127.0.0.1)
SlurmUser=root
AuthType=auth/munge
CredType=cred/munge
SlurmctldPort=16817
SlurmdPort=16818
StateSaveLocation=$dir/state
SlurmdSpoolDir=$dir/spool/%n
SlurmctldPidFile=$dir/slurmctld.pid
SlurmdPidFile=$dir/slurmd.pid
SlurmctldLogFile=$dir/log/slurmctld.log
SlurmdLogFile=$dir/log/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
AccountingStorageType=accounting_storage/none
SchedulerType=sched/builtin
Epilog=/bin/true
SchedulerParameters=sched_interval=1,sched_min_interval=10000
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
MaxArraySize=100001
ReturnToService=2
MinJobAge=600
NodeName=$host NodeAddr=127.0.0.1 CPUs=$cpus State=UNKNOWN
PartitionName=ci Nodes=$host Default=YES MaxTime=INFINITE State=UP
CONF
  touch "$dir/cgroup.conf"
  export SLURM_CONF="$dir/slurm.conf"
  /usr/sbin/slurmctld -f "$SLURM_CONF" >&2
  /usr/sbin/slurmd -f "$SLURM_CONF" >&2
  # Ready when the node is idle (at most 30 s).
  for _ in $(seq 60); do
    state=$(sinfo -h -N -o '%T' 2>/dev/null | head -1 || true)
    [ "$state" = idle ] && break
    sleep 0.5
  done
  if [ "$state" != idle ]; then
    echo "slurm did not come up (node state '$state'); logs in $dir/log" >&2
    tail -n 20 "$dir/log/"*.log >&2 || true
    exit 1
  fi
  echo "export SLURM_CONF=$dir/slurm.conf MOCAP_SLURM=1 MOCAP_SLURM_DIR=$dir"
  ;;
stop)
  dir=${2:-${MOCAP_SLURM_DIR:-}}
  [ -n "$dir" ] || { echo "usage: slurm.sh stop DIR (or set MOCAP_SLURM_DIR, as start prints)" >&2; exit 2; }
  for pidfile in "$dir/slurmd.pid" "$dir/slurmctld.pid" "$dir/munge/munged.pid"; do
    if [ -f "$pidfile" ]; then
      pid=$(cat "$pidfile")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 20); do kill -0 "$pid" 2>/dev/null || break; sleep 0.25; done
    fi
  done
  case "$dir" in /tmp/mocap-slurm.*) rm -rf "$dir" ;; esac
  ;;
*)
  echo "usage: $0 start | stop DIR" >&2
  exit 2
  ;;
esac
