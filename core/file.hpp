#pragma once
/// @file
/// Files as Nabla reads and writes them. Reading checks first that the path is a regular file whose size memory can
/// hold: a directory, /dev/zero or a pipe is a nabla::Error naming the file, not an endless read. Writing goes
/// through a temporary in the same directory renamed over the target, so a failed write leaves the previous file
/// whole and no temporary behind.
/// @ingroup checkpoints
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace nabla {
/// @addtogroup checkpoints
/// @{

/// A nabla::Error "who: 'path' ..." unless `path` names an existing regular file (not a directory, a device or a pipe).
void check_readable_file(const std::string& path, const std::string& who);

/// The whole of a regular file (check_readable_file), refused when larger than memory_limit().
std::string read_file(const std::string& path, const std::string& who);

/// A nabla::Error unless a file can be written at `path`: it is not a directory nor another non-regular file, and its
/// folder exists. Programs call it for every output before long work whose result goes there.
void check_writable_file(const std::string& path, const std::string& who);

/// Writes the concatenated `parts` to `path` atomically: a temporary "<path>.tmp.<pid>" is written, flushed and renamed
/// over `path`; on any failure it is removed and the previous file stays. Temporaries of killed writers are removed.
void write_file(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts,
                const std::string& who);
void write_file(const std::string& path, std::string_view bytes, const std::string& who);  ///< the one-part form

/// @}
}  // namespace nabla
