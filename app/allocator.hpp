#pragma once
// Allocator settings for a process that moves large messages at a high rate.

namespace zpipe::app {

// Fixes glibc malloc's mmap and trim thresholds (see allocator.cpp for why). Call first in
// main, before any thread starts. No effect under AddressSanitizer's own allocator.
void tune_allocator();

}  // namespace zpipe::app
