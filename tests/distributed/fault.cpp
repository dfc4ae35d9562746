// One rank throws in the middle of training while the others wait in a collective: the documented pattern
// (catch, then distributed::abort with the message) ends the whole job (tests/distributed/fault.sh checks the
// status, the message and the time).
#include <nabla/nabla.hpp>

using namespace nabla;
namespace dist = nabla::distributed;

int main() {
  dist::Session session;
  try {
    for (int step = 0; step < 1000; ++step) {
      if (step == 3 && dist::rank() == 1) throw Error("rank 1 failed at step 3 (on purpose)");
      Tensor g = full({1000}, 1.0);
      dist::all_reduce(g);
    }
  } catch (const std::exception& e) {
    dist::abort(1, e.what());
  }
  return 0;
}
