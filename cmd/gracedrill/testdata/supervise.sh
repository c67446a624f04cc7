#!/bin/sh
# A tiny process manager, like systemd with Restart=always, for tests of drills against a
# service the drill did not start:
#
#   supervise.sh run DIR CMD ARGS...   run CMD (its output appended to DIR/service.log), restart
#                                      it whenever it exits; SIGUSR1 restarts it (stop, wait for
#                                      the exit, start), SIGTERM stops it and the manager
#   supervise.sh restart DIR [READY]   ask the manager in DIR to restart its service and wait
#                                      (at most 30 s) until the new process has been started and,
#                                      with READY, has written a new line containing READY to the
#                                      log (as systemd waits for a notify service's READY=1)
set -u
cmd=$1
dir=$2
shift 2
case $cmd in
run)
  echo $$ >"$dir/manager.pid"
  start() {
    "$@" >>"$dir/service.log" 2>&1 &
    child=$!
    echo "$child" >"$dir/service.pid"
  }
  restart=0
  trap 'restart=1' USR1
  trap 'kill -TERM "$child" 2>/dev/null; wait "$child"; exit 0' TERM
  start "$@"
  while :; do
    wait "$child"
    if [ "$restart" = 1 ]; then # woken by USR1: stop the service, then start it again
      restart=0
      kill -TERM "$child" 2>/dev/null
      wait "$child"
      start "$@"
      echo "$child" >"$dir/restarted"
      continue
    fi
    start "$@" # it exited on its own
  done
  ;;
restart)
  ready=${1:-}
  readies() { if [ -n "$ready" ]; then grep -cF -- "$ready" "$dir/service.log"; else echo 0; fi; }
  before=$(readies)
  rm -f "$dir/restarted"
  kill -USR1 "$(cat "$dir/manager.pid")" || exit 1
  i=0
  restarted() {
    [ -f "$dir/restarted" ] || return 1
    [ -z "$ready" ] || [ "$(readies)" -gt "$before" ]
  }
  until restarted; do
    i=$((i + 1))
    if [ "$i" -gt 600 ]; then
      echo "supervise.sh: no restart within 30 s" >&2
      exit 1
    fi
    sleep 0.05
  done
  ;;
*)
  echo "usage: supervise.sh run DIR CMD... | supervise.sh restart DIR" >&2
  exit 2
  ;;
esac
