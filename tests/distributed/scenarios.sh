#!/usr/bin/env bash
# Usage: scenarios.sh MPIEXEC PROGRAM. Each scenario of scenarios.cpp under mpirun -np 2: how it must end (status,
# message) and within how many seconds (no rank left waiting: the collective timeout is 1 s).
set -uo pipefail
mpiexec=$1 program=$2 failed=0
run() {  # run SCENARIO EXPECT_STATUS(0|nonzero) MAX_SECONDS PATTERN
  local start output status elapsed
  start=$(date +%s%N)
  output=$(timeout 120 "$mpiexec" -np 2 --oversubscribe --allow-run-as-root --bind-to none "$program" "$1" 2>&1)
  status=$?
  printf -v "output_of_$1" '%s' "$output"
  elapsed=$(( ($(date +%s%N) - start) / 1000000 ))  # ms
  local verdict=PASS
  if [ "$2" = 0 ] && [ "$status" -ne 0 ]; then verdict="FAIL: status $status"; fi
  if [ "$2" != 0 ] && { [ "$status" -eq 0 ] || [ "$status" -eq 124 ]; }; then verdict="FAIL: status $status"; fi
  echo "$output" | grep -qE "$4" || verdict="FAIL: no line matches /$4/"
  [ "$elapsed" -lt $(($3 * 1000)) ] || verdict="FAIL: took $elapsed ms (limit $3 s)"
  echo "$1: status $status after $elapsed ms: $verdict"
  if [ "$verdict" != PASS ]; then echo "$output" | tail -n 20; failed=1; fi
}
run throw nonzero 60 "rank 1 failed at step 3"
run timeout nonzero 15 "all_reduce\(sum\) #1 of 10 float32 \(step 2's gradients\) did not complete within 1 s: rank\(s\) 1 did not arrive.*last collective this rank completed: all_reduce\(sum\) #0"
run stall nonzero 15 "all_reduce\\(sum\\) #1 of 10 float32 \\(step 2's gradients\\) did not complete within 1 s: every rank of the group started it, but the data exchange stalled"
run finalize nonzero 15 "rank [01] sent (finalize|all_reduce\(sum\)) #0.* while rank [01] expected (all_reduce\(sum\)|finalize) #0"
run progress 0 30 "^epoch 1 \\[=+> *\\] 1/3"
if echo "$output_of_progress" | grep -q $'\r'; then echo "progress: FAIL: carriage returns in piped output"; failed=1; fi
unset OMP_NUM_THREADS
run threads 0 30 "rank 0: $(( $(nproc) / 2 > 1 ? $(nproc) / 2 : 1 )) threads"
exit $failed
