#include "exit_codes.hpp"

#include <cstdio>
#include <exception>

#include <zmq.hpp>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "zpipe: %s\n", e.what());
    return kUsage;
  } catch (const zmq::error_t& e) {
    std::fprintf(stderr, "zpipe: network error: %s\n", e.what());
    return kRuntime;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "zpipe: %s\n", e.what());
    return kRuntime;
  }
}

}  // namespace zpipe::app
