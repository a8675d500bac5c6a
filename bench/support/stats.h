// Order statistics of a set of timings.
#pragma once

#include <cstddef>
#include <vector>

namespace zenith::bench {

struct Summary {
    size_t n = 0;
    double median = 0, min = 0, max = 0, p90 = 0, p99 = 0, mean = 0;
};

// Nearest-rank percentile (q in 0..1) of an ascending, non-empty vector:
// with a few hundred samples p99 is a sample that really happened, not an
// interpolation between two.
double percentile(const std::vector<double>& sorted, double q);

Summary summarize(std::vector<double> samples);

}  // namespace zenith::bench
