#include "nabla/core/file.hpp"

#include <fcntl.h>
#include <signal.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "nabla/core/error.hpp"
#include "nabla/core/runtime.hpp"

namespace nabla {
namespace fs = std::filesystem;

namespace {

// Owns a file descriptor; closes it on every path out.
struct File {
  int fd;
  ~File() {
    if (fd >= 0) ::close(fd);
  }
};

void write_all(int fd, const void* data, size_t size, const std::string& path, const std::string& who) {
  const auto* p = static_cast<const char*>(data);
  while (size > 0) {
    const ssize_t written = ::write(fd, p, size);
    if (written < 0 && errno == EINTR) continue;
    NABLA_CHECK(written > 0, who, ": writing '", path, "' failed: ", std::strerror(errno));
    p += written;
    size -= static_cast<size_t>(written);
  }
}

// A write killed before its rename leaves "<name>.tmp.<pid>" behind: the next write of the same path removes those
// whose process is gone (a live process may be writing right now; its file is left alone).
void remove_stale_temporaries(const std::string& path) {
  const fs::path target = fs::absolute(path);
  const std::string prefix = target.filename().string() + ".tmp.";
  std::error_code error;
  for (const auto& entry : fs::directory_iterator(target.parent_path(), error)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind(prefix, 0) != 0) continue;
    const std::string pid = name.substr(prefix.size());
    if (pid.empty() || pid.size() > 9 || pid.find_first_not_of("0123456789") != std::string::npos) continue;
    if (::kill(static_cast<pid_t>(std::stol(pid)), 0) != 0 && errno == ESRCH) fs::remove(entry, error);
  }
}

}  // namespace

void check_readable_file(const std::string& path, const std::string& who) {
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  NABLA_CHECK(fs::exists(status), who, ": cannot open '", path,
              "': ", error ? error.message() : "No such file or directory");
  NABLA_CHECK(!fs::is_directory(status), who, ": '", path, "' is a directory, not a file (IsADirectoryError)");
  NABLA_CHECK(fs::is_regular_file(status), who, ": '", path,
              "' is not a regular file (a device, a pipe or a socket); give the path of a file");
}

std::string read_file(const std::string& path, const std::string& who) {
  check_readable_file(path, who);
  File file{::open(path.c_str(), O_RDONLY | O_CLOEXEC)};
  NABLA_CHECK(file.fd >= 0, who, ": cannot open '", path, "': ", std::strerror(errno));
  struct stat info {};
  NABLA_CHECK(::fstat(file.fd, &info) == 0 && S_ISREG(info.st_mode), who, ": '", path, "' is not a regular file");
  NABLA_CHECK(info.st_size <= memory_limit(), who, ": '", path, "' has ", info.st_size,
              " bytes, more than the memory limit of ", memory_limit(), " bytes");
  std::string bytes(static_cast<size_t>(info.st_size), '\0');
  size_t done = 0;
  while (done < bytes.size()) {
    const ssize_t got = ::read(file.fd, bytes.data() + done, bytes.size() - done);
    if (got < 0 && errno == EINTR) continue;
    NABLA_CHECK(got >= 0, who, ": reading '", path, "' failed at byte offset ", done, ": ", std::strerror(errno));
    if (got == 0) break;  // the file shrank while being read: what is there is what the parser judges
    done += static_cast<size_t>(got);
  }
  bytes.resize(done);
  return bytes;
}

void check_writable_file(const std::string& path, const std::string& who) {
  NABLA_CHECK(!path.empty(), who, ": the output path is empty");
  std::error_code error;
  const fs::file_status status = fs::status(path, error);
  NABLA_CHECK(!fs::is_directory(status), who, ": cannot write '", path,
              "': it is a directory; give a file name (or remove the directory)");
  NABLA_CHECK(!fs::exists(status) || fs::is_regular_file(status), who, ": cannot write '", path,
              "': it exists and is not a regular file");
  const fs::path folder = fs::absolute(path).parent_path();
  NABLA_CHECK(fs::is_directory(folder, error), who, ": cannot write '", path, "': its folder '", folder.string(),
              "' does not exist");
}

void write_file(const std::string& path, const std::vector<std::pair<const void*, size_t>>& parts,
                const std::string& who) {
  check_writable_file(path, who);
  remove_stale_temporaries(path);
  const std::string temporary = path + ".tmp." + std::to_string(::getpid());
  try {
    File file{::open(temporary.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644)};
    NABLA_CHECK(file.fd >= 0, who, ": cannot create '", temporary, "': ", std::strerror(errno));
    for (const auto& [data, size] : parts) write_all(file.fd, data, size, temporary, who);
    NABLA_CHECK(::fsync(file.fd) == 0, who, ": flushing '", temporary, "' failed: ", std::strerror(errno));
  } catch (...) {
    fs::remove(temporary);
    throw;
  }
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    const int error = errno;
    fs::remove(temporary);
    detail::fail(who, ": cannot replace '", path, "': ", std::strerror(error));
  }
  // Make the rename itself durable.
  const fs::path parent = fs::absolute(path).parent_path();
  File dir{::open(parent.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC)};
  if (dir.fd >= 0) ::fsync(dir.fd);
}

void write_file(const std::string& path, std::string_view bytes, const std::string& who) {
  write_file(path, {{bytes.data(), bytes.size()}}, who);
}

}  // namespace nabla
