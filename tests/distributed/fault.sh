#!/usr/bin/env bash
# Usage: fault.sh MPIEXEC PROGRAM. The job must end with a non-zero status, the failing rank's message, and
# within 60 seconds (no rank left waiting in a collective).
set -uo pipefail
start=$(date +%s)
output=$(timeout 120 "$1" -np 2 --oversubscribe --allow-run-as-root "$2" 2>&1)
status=$?
elapsed=$(( $(date +%s) - start ))
echo "$output" | tail -n 20
echo "status $status after $elapsed s"
[ "$status" -ne 0 ] || { echo "FAIL: the job ended with status 0"; exit 1; }
[ "$status" -ne 124 ] || { echo "FAIL: the job hung (killed by timeout)"; exit 1; }
echo "$output" | grep -q "rank 1 failed at step 3" || { echo "FAIL: the failing rank's message is missing"; exit 1; }
[ "$elapsed" -lt 60 ] || { echo "FAIL: took $elapsed s"; exit 1; }
echo PASS
