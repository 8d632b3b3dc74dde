#!/usr/bin/env bash
# Brings up a one-node SLURM cluster on localhost without systemd, for tests (run as root):
# writes /etc/slurm/slurm.conf (an existing one is backed up and restored by slurm_down.sh),
# creates the munge key if missing, starts munged, slurmctld and slurmd directly and waits until
# the node is idle. The daemons it started are listed in $ZL_SLURM_STATE/started, so
# slurm_down.sh stops exactly those (by the pids in their pid files) and nothing else.
# Exit codes: 0 up; 77 SLURM or munge not installed, not root, or a daemon cannot start (the
# reason on stderr; anything half-started is stopped again); 1 other failures.
# Usage: tests/slurm/slurm_up.sh
set -euo pipefail
state=${ZL_SLURM_STATE:-/run/zoolens-slurm}
conf=/etc/slurm/slurm.conf
here=$(cd "$(dirname "$0")" && pwd)

skip() { echo "slurm_up: SKIP: $*" >&2; exit 77; }
unavailable() { # a daemon did not come up: undo what was started, then skip
  echo "slurm_up: SKIP: $*" >&2
  for log in /var/log/slurm/zl-test-slurmctld.log /var/log/slurm/zl-test-slurmd.log /var/log/munge/munged.log; do
    [ -r "$log" ] && { echo "--- tail $log" >&2; tail -n 15 "$log" >&2; }
  done
  bash "$here/slurm_down.sh" >&2 || true
  exit 77
}

[ "$(id -u)" -eq 0 ] || skip "needs root (writes $conf and starts the daemons)"
for exe in /usr/sbin/munged /usr/sbin/slurmctld /usr/sbin/slurmd; do
  [ -x "$exe" ] || skip "$exe not installed (apt-get install slurmctld slurmd slurm-client munge)"
done
for exe in sbatch srun sinfo scontrol; do
  command -v "$exe" >/dev/null || skip "$exe not installed (apt-get install slurm-client)"
done
id munge >/dev/null 2>&1 || skip "no 'munge' user (is the munge package installed?)"

# One test cluster at a time: test_slurm.sh holds this lock for its whole run (and says so in
# ZL_SLURM_LOCK_HELD); standing alone, this script holds it while it works.
if [ -z "${ZL_SLURM_LOCK_HELD:-}" ]; then
  exec 9>"/run/zoolens-slurm.lock"
  flock -w 120 9 || skip "another zoolens SLURM test holds /run/zoolens-slurm.lock"
  export ZL_SLURM_LOCK_HELD=1 # for slurm_down.sh, called from here
fi

alive() { [ -s "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null; }
mkdir -p "$state"
touch "$state/started" # a previous run that did not tear down left its daemons listed here
mark() { grep -qx "$1" "$state/started" || echo "$1" >>"$state/started"; }

# A slurmctld or slurmd this script did not start belongs to someone else: leave it alone.
for d in slurmctld slurmd; do
  if alive "/run/$d.pid" && ! grep -qx "$d" "$state/started"; then
    skip "a $d not started by this script is running (pid $(cat "/run/$d.pid")); not touching it"
  fi
done
# Leftovers of an earlier run of this script that did not tear down: stop them first.
if grep -qxE 'slurmctld|slurmd' "$state/started"; then
  echo "slurm_up: stopping daemons left over from an earlier run" >&2
  ZL_SLURM_KEEP_CONF=1 bash "$here/slurm_down.sh" >&2
  mkdir -p "$state"
  touch "$state/started"
fi

# Config: back up a foreign slurm.conf once; ours carries a marker line.
marker="# written by zoolens tests/slurm/slurm_up.sh"
mkdir -p /etc/slurm /var/lib/slurm/zl-test-state /var/lib/slurm/zl-test-spool /var/log/slurm
if [ -e "$conf" ] && ! grep -qxF "$marker" "$conf" && [ ! -e "$state/slurm.conf.backup" ]; then
  cp -p "$conf" "$state/slurm.conf.backup"
  echo "slurm_up: backed up the existing $conf to $state/slurm.conf.backup" >&2
fi
host=$(hostname -s)
node=$(/usr/sbin/slurmd -C | head -n 1) || unavailable "slurmd -C failed"
mem=$(sed -n 's/.*RealMemory=\([0-9]*\).*/\1/p' <<<"$node")
[ -n "$mem" ] || unavailable "cannot read RealMemory from 'slurmd -C': $node"
node=${node/RealMemory=$mem/RealMemory=$((mem * 9 / 10))}
cat >"$conf.tmp" <<EOF
$marker
# One-node test cluster on localhost; slurm_down.sh restores any previous config.
ClusterName=zoolens-test
SlurmctldHost=$host(127.0.0.1)
AuthType=auth/munge
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
MpiDefault=pmix
MailProg=/bin/true
ReturnToService=2
SlurmctldPidFile=/run/slurmctld.pid
SlurmdPidFile=/run/slurmd.pid
StateSaveLocation=/var/lib/slurm/zl-test-state
SlurmdSpoolDir=/var/lib/slurm/zl-test-spool
SlurmctldLogFile=/var/log/slurm/zl-test-slurmctld.log
SlurmdLogFile=/var/log/slurm/zl-test-slurmd.log
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
# Finished jobs, one line each (the state and exit code sacct would show without a database).
JobCompType=jobcomp/filetxt
JobCompLoc=/var/log/slurm/zl-test-jobcomp.log
# sbatch --wait polls every 2 s, then every 8 and 32 s, unless MinJobAge / 2 <= 2 keeps it at 2 s
# (so that a finished job cannot be purged between two polls): a job of 10 s was seen 32 s late.
MinJobAge=5
$node NodeAddr=127.0.0.1 State=UNKNOWN
PartitionName=debug Nodes=ALL Default=YES MaxTime=INFINITE State=UP
EOF
mv "$conf.tmp" "$conf"

# munge: key if missing, socket directory, daemon (unless one already runs).
if [ ! -s /etc/munge/munge.key ]; then
  install -d -o munge -g munge -m 0700 /etc/munge
  if command -v mungekey >/dev/null; then
    runuser -u munge -- mungekey --create --keyfile=/etc/munge/munge.key
  else
    dd if=/dev/urandom of=/etc/munge/munge.key bs=1024 count=1 status=none
    chown munge:munge /etc/munge/munge.key
  fi
  chmod 0400 /etc/munge/munge.key
  echo "slurm_up: created /etc/munge/munge.key" >&2
fi
install -d -o munge -g munge -m 0755 /run/munge
install -d -o munge -g munge -m 0700 /var/log/munge /var/lib/munge
if alive /run/munge/munged.pid; then
  echo "slurm_up: munged already running (pid $(cat /run/munge/munged.pid)), using it" >&2
else
  runuser -u munge -- /usr/sbin/munged 9>&- || unavailable "munged did not start"
  mark munged
fi

start() { # start NAME PIDFILE [FLAGS]: the daemon daemonizes and writes its pid file
  local name=$1 pidfile=$2
  shift 2
  "/usr/sbin/$name" "$@" 9>&- || unavailable "$name did not start" # (the daemons must not hold the lock)
  mark "$name"
  for _ in $(seq 50); do alive "$pidfile" && return 0; sleep 0.1; done
  unavailable "$name wrote no pid file $pidfile"
}
# -c: start from an empty job queue (the state directory is this test cluster's own).
start slurmctld /run/slurmctld.pid -c
start slurmd /run/slurmd.pid

for _ in $(seq 60); do
  st=$(sinfo -h -N -o %t 2>/dev/null | head -n 1 || true)
  case "$st" in
    idle | mix | alloc) echo "slurm_up: node $host is $st: $(sinfo -h -N -o '%N %c CPUs %m MB' | head -n 1)" >&2; exit 0 ;;
    down* | drain* | fail*) scontrol update nodename="$host" state=resume >/dev/null 2>&1 || true ;;
  esac
  sleep 0.5
done
unavailable "node $host did not become idle within 30 s (state '${st:-none}')"
