// The name a worker gives itself when none is configured: host:pid.
#include <unistd.h>

#include <string>

#include "zpipe/worker/worker.hpp"

namespace zpipe::worker {

std::string default_worker_name() {
  char host[256] = {};
  if (::gethostname(host, sizeof host - 1) != 0) host[0] = '\0';
  return std::string(host[0] ? host : "localhost") + ":" + std::to_string(::getpid());
}

}  // namespace zpipe::worker
