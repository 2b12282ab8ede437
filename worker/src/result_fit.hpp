#pragma once
// One result must fit in one message the sink accepts (core::kMaxMessageBytes, less room for
// the framing, input and arguments): a bigger one would be dropped with its connection,
// pushed again, dropped again, forever. Over inproc there is no such limit.
// Error style: none; a cut is logged and marked in the result.

#include "zpipe/core/types.hpp"

namespace zpipe::worker {

// Cuts what a task printed so that its result fits in one message; says so, naming the task.
void fit_in_one_message(core::TaskResult& result);

}  // namespace zpipe::worker
