// The results file: one JSON object per line, one line per measured
// operation, raw samples kept so the report (and anyone after it) can
// compute whatever statistic they need.
#pragma once

#include <string>
#include <vector>

namespace zenith::bench {

struct Record {
    std::string group;  // where it ran: "bus", "btrfs", "ext4", "daemon"
    std::string op;     // what: "create-cached", "create-to-running", ...
    std::string who;    // "zenith", "lxc", "btrfs-snapshot", "cp -a", ...
    std::string unit = "ms";
    std::vector<double> samples;
    std::string note;
};

void appendRecord(const std::string& path, const Record& r);
std::vector<Record> loadRecords(const std::string& path);

}  // namespace zenith::bench
