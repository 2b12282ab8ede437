// libFuzzer target for the wire decoder (core/src/protocol.cpp, docs/protocol.md).
//
// Input: the 2-byte header followed by the body (the seeds in fuzz/corpus/protocol/ are
// encoded messages in that layout, see make_protocol_seeds.cpp). Checked properties:
//   - decode never crashes, hangs, reads out of bounds or trips UBSan, whatever the bytes;
//   - it either returns a message (and no error) or an error text (and no message);
//   - whenever it accepts, encode(message) reproduces exactly the same header and body,
//     i.e. the decoder accepts only the canonical encoding of each message;
//   - a header of any size but 2 is rejected.
// A violated property aborts, which is how libFuzzer reports it.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "zpipe/core/protocol.hpp"

namespace {

[[noreturn]] void violated(const char* what, std::string_view header, std::string_view body) {
  std::fprintf(stderr, "fuzz_protocol: %s (header %zu bytes, body %zu bytes)\n", what,
               header.size(), body.size());
  std::abort();
}

void check(std::string_view header, std::string_view body) {
  const zpipe::core::Decoded decoded = zpipe::core::decode(header, body);
  if (!decoded.message) {
    if (decoded.error == nullptr || decoded.error[0] == '\0')
      violated("rejected without an error text", header, body);
    return;
  }
  if (decoded.error != nullptr) violated("accepted with an error text", header, body);
  if (header.size() != 2) violated("accepted a header whose size is not 2", header, body);

  const zpipe::core::Encoded encoded = zpipe::core::encode(*decoded.message);
  const std::string_view encoded_header(reinterpret_cast<const char*>(encoded.header), 2);
  if (encoded_header != header) violated("encode(decode(x)) changed the header", header, body);
  if (encoded.body != body) violated("encode(decode(x)) changed the body", header, body);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  const std::string_view input(reinterpret_cast<const char*>(data), size);
  if (input.size() < 2) {
    check(input, {});
    return 0;
  }
  check(input.substr(0, 2), input.substr(2));
  // Same bytes split at the wrong place: a 1- or 3-byte header never decodes.
  check(input.substr(0, 1), input.substr(1));
  if (input.size() >= 3) check(input.substr(0, 3), input.substr(3));
  return 0;
}
