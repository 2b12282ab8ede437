#pragma once
// Standard descriptors a parent closed (`zpipe run ... <&- >&-`). Left closed, the next
// descriptor opened (an eventfd or socket of ZeroMQ's) would take number 0, 1 or 2: the
// ventilator would read its `lines: -` source from it, the sink write records into it.
// Error style: exceptions (std::runtime_error) from require_stdout.

namespace zpipe::app {

// Opens /dev/null on each of 0, 1, 2 that is closed. Call first in main, before anything
// opens a descriptor.
void guard_standard_descriptors();

// Throws std::runtime_error naming `what` when stdout was closed at start: records meant
// for it would be lost without a word.
void require_stdout(const char* what);

}  // namespace zpipe::app
