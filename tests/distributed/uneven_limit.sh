#!/usr/bin/env bash
# Ranks given different data under mpirun: the MNIST example's ranks get different --limit, so they would take
# different numbers of steps and mismatch their collectives (once: a heap overflow). It must stop at once with an
# error naming the disagreement. Usage: uneven_limit.sh MPIEXEC MNIST WORKDIR
set -euo pipefail
mpiexec=$1 mnist=$2 work=$3
rm -rf "$work" && mkdir -p "$work"
export MNIST=$mnist
if timeout 300 "$mpiexec" -np 2 --oversubscribe --allow-run-as-root --bind-to none \
  sh -c 'exec "$MNIST" --epochs 1 --limit $((128 + 64 * OMPI_COMM_WORLD_RANK)) --quiet' \
  > "$work/out.log" 2> "$work/err.log"; then
  echo "ranks with different --limit trained" >&2
  exit 1
fi
grep -q "the ranks disagree on the training batches per epoch .*: from 1 to 2 across 2 ranks" "$work/err.log" "$work/out.log" || {
  cat "$work/err.log" >&2
  exit 1
}
echo "uneven --limit across ranks: refused before the first step"
