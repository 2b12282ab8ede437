#pragma once
// The reference worker in Python (examples/python-worker), run as a real process with the
// Debian interpreter (/usr/bin/python3 has python3-zmq and python3-yaml; a pyenv python3
// on the PATH may not).

#include <string>
#include <vector>

#include "test_support.hpp"

namespace zpipe::test {

inline std::string python_worker_script() {
  return std::string(ZPIPE_SOURCE_DIR) + "/examples/python-worker/zpipe_worker.py";
}

// Starts `zpipe_worker.py ARGS`; stdout/stderr go to dir/TAG.out and dir/TAG.err.
inline Child start_python_worker(const std::vector<std::string>& args, const TempDir& dir, const std::string& tag) {
  std::vector<std::string> argv{"/usr/bin/python3", python_worker_script()};
  argv.insert(argv.end(), args.begin(), args.end());
  return Child(argv, dir / (tag + ".out"), dir / (tag + ".err"));
}

}  // namespace zpipe::test
