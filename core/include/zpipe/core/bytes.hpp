#pragma once
// Little-endian byte writer and bounds-checked reader for message bodies.
// Error style: the reader never throws; a read past the end sets failed() and returns 0/empty,
// so a decoder checks ok() once at the end instead of after every field.

#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

namespace zpipe::core {

// Writes into a caller's buffer (sized by a measuring pass first, so a message is encoded
// straight into the ZeroMQ frame that carries it), appends to a string, or only measures.
class ByteWriter {
public:
  ByteWriter() = default;  // measures: size() is what the same writes would take
  explicit ByteWriter(char* out) : out_(out) {}
  explicit ByteWriter(std::string& out) : str_(&out) {}
  void u8(std::uint8_t v) {
    const char c = static_cast<char>(v);
    raw(&c, 1);
  }
  void u32(std::uint32_t v) { put(v); }
  void u64(std::uint64_t v) { put(v); }
  void i32(std::int32_t v) { put(static_cast<std::uint32_t>(v)); }
  void bytes(std::string_view s) {
    u32(static_cast<std::uint32_t>(s.size()));
    raw(s.data(), s.size());
  }
  std::size_t size() const { return size_; }

private:
  template <typename T>
  void put(T v) {
    char buf[sizeof(T)];
    for (std::size_t i = 0; i < sizeof(T); ++i) buf[i] = static_cast<char>((v >> (8 * i)) & 0xff);
    raw(buf, sizeof(T));
  }
  void raw(const char* p, std::size_t n) {
    if (n == 0) return;  // an empty view's data() may be null, which memcpy must not see
    if (out_) {
      std::memcpy(out_ + size_, p, n);
    } else if (str_) {
      str_->append(p, n);
    }
    size_ += n;
  }
  char* out_ = nullptr;
  std::string* str_ = nullptr;
  std::size_t size_ = 0;
};

class ByteReader {
public:
  explicit ByteReader(std::string_view in) : in_(in) {}
  std::uint8_t u8() { return static_cast<std::uint8_t>(get<std::uint8_t>()); }
  std::uint32_t u32() { return get<std::uint32_t>(); }
  std::uint64_t u64() { return get<std::uint64_t>(); }
  std::int32_t i32() { return static_cast<std::int32_t>(get<std::uint32_t>()); }
  // A length-prefixed byte string; a length beyond the bytes present fails the reader.
  std::string_view bytes() {
    const std::uint32_t n = u32();
    if (failed_ || n > in_.size() - pos_) {
      failed_ = true;
      return {};
    }
    std::string_view s = in_.substr(pos_, n);
    pos_ += n;
    return s;
  }
  std::size_t remaining() const { return in_.size() - pos_; }
  bool failed() const { return failed_; }
  // True when every field was present and nothing is left over.
  bool complete() const { return !failed_ && pos_ == in_.size(); }

private:
  template <typename T>
  T get() {
    if (failed_ || sizeof(T) > in_.size() - pos_) {
      failed_ = true;
      return 0;
    }
    T v = 0;
    for (std::size_t i = 0; i < sizeof(T); ++i)
      v |= static_cast<T>(static_cast<T>(static_cast<unsigned char>(in_[pos_ + i])) << (8 * i));
    pos_ += sizeof(T);
    return v;
  }
  std::string_view in_;
  std::size_t pos_ = 0;
  bool failed_ = false;
};

}  // namespace zpipe::core
