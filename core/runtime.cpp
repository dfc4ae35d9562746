#include "nabla/core/runtime.hpp"

#include <omp.h>
#include <unistd.h>
#include <xmmintrin.h>

#include <algorithm>
#include <atomic>
#include <cstdlib>
#include <string>

#include "nabla/core/error.hpp"
#include "core/log.h"
#include "core/runtime.h"

namespace nabla {
namespace {

void flush_denormals_on_all_threads() {
  constexpr unsigned kFlushToZero = 0x8000, kDenormalsAreZero = 0x0040;
#pragma omp parallel
  _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
  _mm_setcsr(_mm_getcsr() | kFlushToZero | kDenormalsAreZero);
}

// Under mpirun without OMP_NUM_THREADS, every rank on a machine would start one thread per core: N ranks on C
// cores run N·C threads and crawl (issue 24: 197 img/s against 897). Give each rank its share, C / N, as torchrun
// does (it sets 1); the launchers' local rank counts say N.
void share_cores_between_local_ranks() {
  if (std::getenv("OMP_NUM_THREADS")) return;
  const char* local = std::getenv("OMPI_COMM_WORLD_LOCAL_SIZE");
  if (!local) local = std::getenv("MPI_LOCALNRANKS");  // MPICH's Hydra
  const int ranks = local ? std::atoi(local) : 0;
  if (ranks <= 1) return;
  const int cores = omp_get_num_procs(), threads = std::max(1, cores / ranks);
  omp_set_num_threads(threads);
  detail::logger().info("{} ranks on this machine's {} cores and OMP_NUM_THREADS unset: {} thread(s) per rank", ranks,
                        cores, threads);
}

bool runtime_ready() {
  share_cores_between_local_ranks();
  flush_denormals_on_all_threads();
  return true;
}

}  // namespace

namespace detail {
void ensure_runtime() {
  static const bool done = runtime_ready();
  (void)done;
}
}  // namespace detail

// The settings below are function-local statics, not namespace-scope globals: a tensor made during static
// initialisation (a program's global weight, run before this file's globals) must see them initialised.
namespace {
std::atomic<int64_t>& limit_bytes() {
  static std::atomic<int64_t> bytes{static_cast<int64_t>(sysconf(_SC_PHYS_PAGES)) * sysconf(_SC_PAGE_SIZE)};
  return bytes;
}
}  // namespace

void set_memory_limit(int64_t bytes) {
  NABLA_CHECK(bytes > 0, "set_memory_limit: expected a positive number of bytes, got ", bytes);
  limit_bytes() = bytes;
}

int64_t memory_limit() { return limit_bytes(); }

void set_num_threads(int num_threads) {
  detail::ensure_runtime();  // first, so the default for ranks sharing a machine does not override this
  NABLA_CHECK(num_threads > 0, "set_num_threads: expected a positive number of threads, got ", num_threads);
  omp_set_num_threads(num_threads);
  flush_denormals_on_all_threads();  // the pool may have grown
}

int get_num_threads() {
  detail::ensure_runtime();
  return omp_get_max_threads();
}

namespace {
std::atomic<uint64_t> created{0};
std::atomic<uint64_t> reorders{0};
std::atomic<uint64_t> weight_copy_count{0};
std::atomic<bool>& propagation() {
  static std::atomic<bool> on{[] {
    const char* value = std::getenv("NABLA_LAYOUT_PROPAGATION");
    return !value || std::string(value) != "0";
  }()};
  return on;
}
}  // namespace

uint64_t primitives_created() { return created.load(); }
uint64_t layout_reorders() { return reorders.load(); }
uint64_t weight_copies() { return weight_copy_count.load(); }
void set_layout_propagation(bool on) { propagation() = on; }
bool layout_propagation() { return propagation(); }

namespace detail {
void count_primitive_created() { ++created; }
void count_layout_reorder() { ++reorders; }
void count_weight_copy() { ++weight_copy_count; }
}  // namespace detail

}  // namespace nabla
