#pragma once
// A worker without a pipeline file asks the ventilator what to run (ask_task, answered by
// task_definition; docs/protocol.md). Then it joins like any worker: its hello carries the
// fingerprint of the task it was told, so the ventilator admits it.
// Error style: exceptions. core::WaitTimeout when `give_up_after` passes without an answer;
// std::runtime_error when the ventilator refuses or answers with a task this zpipe cannot
// read. Other messages are counted and dropped.

#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include <zmq.hpp>

#include "zpipe/config/pipeline.hpp"

namespace zpipe::worker {

// Asks until the ventilator at `ventilator` answers (it may start later), warning with
// backoff while it waits. nullopt when `stop` became true first.
std::optional<config::TaskSpec> ask_task(zmq::context_t& context, const std::string& ventilator,
                                         std::optional<std::chrono::milliseconds> give_up_after,
                                         const std::atomic<bool>& stop);

}  // namespace zpipe::worker
