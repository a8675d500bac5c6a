// The table bench/run.sh prints and bench/README.md quotes: ours beside the
// peers of the same run, and the target.
#pragma once

#include <string>

namespace zenith::bench {

struct ReportInputs {
    std::string results;    // JSON lines of the provisioning driver
    std::string gbench;     // Google Benchmark --benchmark_out (json); optional
    std::string hyperfine;  // hyperfine --export-json; optional
};

// Markdown on stdout. Returns the number of targets missed.
int printReport(const ReportInputs& in);

}  // namespace zenith::bench
