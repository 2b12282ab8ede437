#include "zpipe/worker/ask_task.hpp"

#include <stdexcept>

#include <spdlog/spdlog.h>

#include "zpipe/core/messaging.hpp"
#include "zpipe/core/wait_warnings.hpp"

namespace zpipe::worker {
namespace {

using Clock = core::Clock;
constexpr auto kAskEvery = std::chrono::milliseconds(250);  // a short wait: the answer is what we wait for

// The task a task_definition describes, checked against its own fingerprint.
config::TaskSpec read_definition(const core::TaskDefinition& definition) {
  try {
    config::TaskSpec task = config::task_from_canonical_bytes(
        definition.canonical, definition.always_shell ? config::UseShell::always : config::UseShell::automatic);
    if (config::task_fingerprint(task) != definition.fingerprint)
      throw std::invalid_argument("its fingerprint does not match its bytes");
    return task;
  } catch (const std::invalid_argument& e) {
    throw std::runtime_error(std::string("the ventilator's task_definition cannot be read (another zpipe version?): ") +
                             e.what());
  }
}

}  // namespace

std::optional<config::TaskSpec> ask_task(zmq::context_t& context, const std::string& ventilator,
                                         std::optional<std::chrono::milliseconds> give_up_after,
                                         const std::atomic<bool>& stop) {
  zmq::socket_t dealer(context, zmq::socket_type::dealer);
  core::configure_socket(dealer);
  // Asks queued while the ventilator is away are not piled up for it: one at a time.
  dealer.set(zmq::sockopt::immediate, 1);
  core::connect(dealer, ventilator);
  core::FaultCounter faults("worker");
  core::WaitWarnings warnings("worker: no answer from the ventilator at " + ventilator + " (asking what to run)",
                              "is it running, and is this the right endpoint?", "worker: reached the ventilator at " + ventilator,
                              give_up_after);
  const Clock::time_point since = Clock::now();
  Clock::time_point next_warning = since;
  while (!stop.load()) {
    (void)core::try_send(dealer, core::AskTask{});
    zmq::pollitem_t item{dealer.handle(), 0, ZMQ_POLLIN, 0};
    zmq::poll(&item, 1, kAskEvery);
    for (core::Receive in = core::try_receive(dealer, false, faults); in.outcome != core::Receive::Outcome::nothing;
         in = core::try_receive(dealer, false, faults)) {
      if (in.outcome != core::Receive::Outcome::message) continue;
      if (const auto* definition = std::get_if<core::TaskDefinition>(&in.received.message)) {
        warnings.over(since);
        return read_definition(*definition);
      }
      if (const auto* refuse = std::get_if<core::Refuse>(&in.received.message))
        throw std::runtime_error("the ventilator refused to say what to run: " + refuse->reason);
      faults.count("unexpected message type");
    }
    if (Clock::now() >= next_warning) next_warning = warnings.check(since, std::chrono::seconds(1));
  }
  return std::nullopt;
}

}  // namespace zpipe::worker
