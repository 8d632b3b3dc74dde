#!/usr/bin/env bash
# Stops the one-node SLURM cluster that slurm_up.sh started: only the daemons it recorded in
# $ZL_SLURM_STATE/started, by the pids in their pid files (slurmd, slurmctld, then munged), and
# restores the slurm.conf it backed up. Safe to run twice or when nothing was started.
# Usage: tests/slurm/slurm_down.sh
set -euo pipefail
state=${ZL_SLURM_STATE:-/run/zoolens-slurm}
conf=/etc/slurm/slurm.conf
marker="# written by zoolens tests/slurm/slurm_up.sh"

if [ -z "${ZL_SLURM_LOCK_HELD:-}" ]; then # see slurm_up.sh
  exec 9>"/run/zoolens-slurm.lock"
  flock -w 120 9 || { echo "slurm_down: another zoolens SLURM test holds /run/zoolens-slurm.lock" >&2; exit 1; }
fi

started() { [ -s "$state/started" ] && grep -qx "$1" "$state/started"; }
stop() { # stop NAME PIDFILE: TERM, wait up to 20 s, then KILL
  started "$1" || return 0
  if [ -s "$2" ]; then
    local pid
    pid=$(cat "$2")
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM "$pid" 2>/dev/null || true
      for _ in $(seq 200); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      if kill -0 "$pid" 2>/dev/null; then
        echo "slurm_down: $1 (pid $pid) ignored TERM, killing it" >&2
        kill -KILL "$pid" 2>/dev/null || true
      fi
      echo "slurm_down: stopped $1 (pid $pid)" >&2
    fi
  fi
  sed -i "/^$1\$/d" "$state/started"
}
stop slurmd /run/slurmd.pid
stop slurmctld /run/slurmctld.pid
stop munged /run/munge/munged.pid

if [ -n "${ZL_SLURM_KEEP_CONF:-}" ]; then
  : # slurm_up.sh restarting: it rewrites the config itself
elif [ -e "$state/slurm.conf.backup" ]; then
  mv "$state/slurm.conf.backup" "$conf"
  echo "slurm_down: restored the previous $conf" >&2
elif [ -e "$conf" ] && grep -qxF "$marker" "$conf"; then
  rm -f "$conf"
fi
[ -s "$state/started" ] || [ -e "$state/slurm.conf.backup" ] || rm -rf "$state"
