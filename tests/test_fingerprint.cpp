// The fingerprint test vectors of docs/fingerprint.md: each YAML task section, loaded by the
// real config loader, serializes to exactly the bytes the doc prints and hashes to exactly
// the value it prints; the Python worker computes the same. The doc cannot drift.
#include <gtest/gtest.h>

#include <cstdio>
#include <optional>
#include <regex>

#include "doc_support.hpp"
#include "python_worker_support.hpp"
#include "zpipe/config/pipeline.hpp"

namespace zpipe {
namespace {

using namespace std::chrono_literals;

struct Vector {
  std::string yaml;         // the task section as the doc prints it
  std::string bytes;        // the canonical serialization from its hex dump
  std::string fingerprint;  // "0x" + 16 hex digits
};

// Each vector: a ```yaml block starting with "task:", then a ```hexdump block, then a line
// "fingerprint: `0x...`".
std::vector<Vector> doc_vectors() {
  const auto lines = test::lines_of(test::doc_text("fingerprint.md"));
  const std::regex value_line(R"(^fingerprint: `(0x[0-9a-f]{16})`)");
  std::vector<Vector> vectors;
  std::optional<Vector> current;
  const auto blocks = test::fenced_blocks(lines);
  std::size_t next_block = 0;
  for (std::size_t i = 0; i < lines.size(); ++i) {
    if (next_block < blocks.size() && lines[i].starts_with("```")) {
      const test::FencedBlock& block = blocks[next_block++];
      if (block.info == "yaml" && !block.lines.empty() && block.lines[0] == "task:") {
        current = Vector{};
        for (const auto& line : block.lines) current->yaml += line + "\n";
      } else if (block.info == "hexdump" && current) {
        current->bytes = test::hexdump_bytes(block.lines);
      }
      i = block.end_line;
      continue;
    }
    std::smatch m;
    if (current && std::regex_search(lines[i], m, value_line)) {
      current->fingerprint = m[1];
      vectors.push_back(*current);
      current.reset();
    }
  }
  return vectors;
}

std::string pipeline_file(const test::TempDir& dir, const Vector& v, int n) {
  const auto file = dir / ("vector" + std::to_string(n) + ".yaml");
  test::write_file(file, "version: 1\nname: vector\nsource: { items: [a] }\n" + v.yaml);
  return file.string();
}

std::string hex64(std::uint64_t value) {
  char text[19];
  std::snprintf(text, sizeof text, "0x%016llx", static_cast<unsigned long long>(value));
  return text;
}

TEST(Fingerprint, DocVectorsAreWhatTheLoaderAndTheHashGive) {
  const auto vectors = doc_vectors();
  ASSERT_GE(vectors.size(), 4u) << "docs/fingerprint.md lost its test vectors";
  test::TempDir dir;
  int n = 0;
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.yaml);
    const config::Pipeline p = config::load_pipeline(pipeline_file(dir, v, ++n));
    EXPECT_EQ(test::to_hex(config::task_canonical_bytes(p.task)), test::to_hex(v.bytes));
    EXPECT_EQ(hex64(config::task_fingerprint(p.task)), v.fingerprint);
  }
}

TEST(Fingerprint, AbsentKeysSerializeAsTheirDefaults) {
  test::TempDir dir;
  Vector bare{"task:\n  builtin: sleep\n", {}, {}};
  Vector spelled{"task:\n  builtin: sleep\n  timeout: 0\n  retries: 0\n  max_output: 1MiB\n", {}, {}};
  const auto a = config::load_pipeline(pipeline_file(dir, bare, 1)).task;
  const auto b = config::load_pipeline(pipeline_file(dir, spelled, 2)).task;
  EXPECT_EQ(config::task_canonical_bytes(a), config::task_canonical_bytes(b));
}

TEST(Fingerprint, PythonWorkerComputesTheDocVectors) {
  const auto vectors = doc_vectors();
  ASSERT_GE(vectors.size(), 4u);
  test::TempDir dir;
  int n = 0;
  for (const Vector& v : vectors) {
    SCOPED_TRACE(v.yaml);
    const std::string tag = "py" + std::to_string(++n);
    test::Child py = test::start_python_worker({"--print-fingerprint", "-c", pipeline_file(dir, v, n)}, dir, tag);
    ASSERT_EQ(py.wait(20s), 0) << test::read_file(dir / (tag + ".err"));
    EXPECT_EQ(test::read_file(dir / (tag + ".out")), v.fingerprint + "\n" + test::to_hex(v.bytes) + "\n");
  }
}

}  // namespace
}  // namespace zpipe
