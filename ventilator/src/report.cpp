// The ventilator's Report as JSON (`zpipe ventilator --summary FILE`): the figures only the
// ventilator knows, such as redeliveries, for scripts and `zpipe experiment`.

#include <cerrno>
#include <cstring>
#include <fstream>
#include <stdexcept>

#include <nlohmann/json.hpp>

#include "zpipe/ventilator/ventilator.hpp"

namespace zpipe::ventilator {

std::string report_json(const Report& r) {
  nlohmann::ordered_json j;
  j["total"] = r.total;
  j["failed"] = r.failed;
  j["dispatched"] = r.dispatched;
  j["redelivered"] = r.redelivered;
  j["dropped"] = r.dropped;
  j["completed"] = r.completed;
  j["halted"] = r.halted;
  return j.dump(2) + "\n";
}

void write_report(const Report& report, const std::string& file) {
  if (file.empty()) return;
  std::ofstream out(file, std::ios::trunc);
  out << report_json(report);
  out.close();
  if (!out) throw std::runtime_error(file + ": cannot write summary: " + std::strerror(errno));
}

}  // namespace zpipe::ventilator
