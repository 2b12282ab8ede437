#include "exit_codes.hpp"

#include <cstdio>
#include <exception>

#include <zmq.hpp>

#include "signals.hpp"
#include "zpipe/core/protocol.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe::app {

int guarded(const std::function<int()>& body) {
  try {
    return body();
  } catch (const config::ConfigError& e) {
    std::fprintf(stderr, "zpipe: %s\n", e.what());
    return kUsage;
  } catch (const sink::OutputExists& e) {
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

int exit_code_for(const sink::Summary& summary, const SignalWatcher& signals) {
  if (signals.received() != 0) return signals.exit_code();
  const bool early = core::stopped_early(summary.halted);
  if (summary.failed + summary.timeout > 0 || (!summary.halted.empty() && !early)) return kTaskFailed;
  if (!summary.completed && !early) return kRuntime;
  return kOk;
}

sink::Fsync to_sink_fsync(config::FsyncPolicy policy) {
  switch (policy) {
    case config::FsyncPolicy::never: return sink::Fsync::never;
    case config::FsyncPolicy::always: return sink::Fsync::always;
    case config::FsyncPolicy::interval: break;
  }
  return sink::Fsync::interval;
}

}  // namespace zpipe::app
