#pragma once
// Private: a switch for tools/bench/bench_ddp, which measures what the collectives' header check costs by turning
// it off. Not part of the API: without the check, ranks out of step corrupt memory instead of getting an error.
namespace nabla::distributed::detail {
void set_collective_checks(bool on);
}  // namespace nabla::distributed::detail
