// Jobs that must end, and how: each scenario runs under `mpirun -np 2` from tests/distributed/scenarios.sh, which
// checks the status, the message and the time.
//   throw     rank 1 throws at step 3 while rank 0 waits in a collective: the documented pattern (catch, then
//             distributed::abort with the message) ends the whole job
//   timeout   rank 1 stops answering (sleeps past the 1 s timeout): rank 0 ends the job naming the collective,
//             rank 1 as the one that did not arrive, and its last completed collective
//   stall     as timeout, with the header check off (private switch): rank 0 waits inside MPI's data exchange,
//             and the watchdog ends the job
//   finalize  rank 0 runs one more all_reduce while rank 1 ends: an error naming both, not a hang
//   threads   OMP_NUM_THREADS unset: each of the 2 ranks on this machine takes its share of the cores
//   progress  a progress bar on stdout while mpirun's output is a pipe: plain lines, no carriage returns (a rank's
//             own stdout is a pseudo-terminal under mpirun)
#include <chrono>
#include <cstdio>
#include <iostream>
#include <string>
#include <thread>

#include <nabla/nabla.hpp>

#include "core/distributed.h"  // private: the header check's switch

using namespace nabla;
namespace dist = nabla::distributed;

int main(int argc, char** argv) {
  const std::string scenario = argc > 1 ? argv[1] : "";
  dist::Session session({.timeout = std::chrono::seconds(1)});
  try {
    if (scenario == "throw") {
      for (int step = 0; step < 1000; ++step) {
        if (step == 3 && dist::rank() == 1) throw Error("rank 1 failed at step 3 (on purpose)");
        Tensor g = full({1000}, 1.0);
        dist::all_reduce(g);
      }
    } else if (scenario == "timeout" || scenario == "stall") {
      dist::detail::set_collective_checks(scenario == "timeout");
      Tensor g = full({10}, 1.0);
      dist::all_reduce(g);
      if (dist::rank() == 1) std::this_thread::sleep_for(std::chrono::seconds(30));
      dist::CollectiveName what("step 2's gradients");
      dist::all_reduce(g);
    } else if (scenario == "finalize") {
      if (dist::rank() == 0) {
        Tensor g = full({10}, 1.0);
        dist::all_reduce(g);
      }
    } else if (scenario == "threads") {
      std::printf("rank %d: %d threads\n", dist::rank(), get_num_threads());
    } else if (scenario == "progress") {
      ProgressBar bar("epoch 1", 3, std::cout, 1, "img");
      for (int64_t i = 1; i <= 3; ++i) bar.update(i, i * 64, "loss 0.5");
      bar.finish("done");
    } else {
      throw Error("scenarios: expected throw, timeout, stall, finalize, threads or progress, got '" + scenario + "'");
    }
  } catch (const std::exception& e) {
    dist::abort(1, e.what());
  }
  return 0;
}
