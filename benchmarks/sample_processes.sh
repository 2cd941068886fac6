#!/bin/bash
# Every 15 s, each running study process's CPU seconds (utime + stime) and peak memory (VmHWM,
# KiB), one line each, appended to the log: what `benchmarks/study_cost.py --from-runs DIR
# --samples LOG` sums up for a study that runs for hours in the background.
#     nohup nice -n 19 benchmarks/sample_processes.sh runs/study-samples.log &
# A process that ends between two samples loses at most its last 15 s from the log.
log=${1:?usage: sample_processes.sh LOG [PATTERN]}
pattern=${2:-bcser_utils generalize}
tick=$(getconf CLK_TCK)
while true; do
  for pid in $(pgrep -f "$pattern"); do
    [ -r "/proc/$pid/stat" ] || continue
    read -r -a stat < "/proc/$pid/stat"
    hwm=$(awk '/VmHWM/{print $2}' "/proc/$pid/status" 2>/dev/null)
    [ -n "$hwm" ] || continue
    echo "$(date +%s) $pid $(( (stat[13] + stat[14]) / tick )) $hwm $(tr '\0' ' ' < "/proc/$pid/cmdline")"
  done >> "$log"
  sleep 15
done
