#include "support/stats.h"

#include <algorithm>
#include <cmath>
#include <numeric>

namespace zenith::bench {

double percentile(const std::vector<double>& sorted, double q)
{
    if (sorted.empty())
        return 0;
    auto rank = static_cast<size_t>(std::ceil(q * static_cast<double>(sorted.size())));
    return sorted[std::clamp<size_t>(rank, 1, sorted.size()) - 1];
}

Summary summarize(std::vector<double> samples)
{
    Summary s;
    s.n = samples.size();
    if (samples.empty())
        return s;
    std::sort(samples.begin(), samples.end());
    s.min = samples.front();
    s.max = samples.back();
    // The median of an even count is the mean of the middle two, as usual.
    size_t mid = s.n / 2;
    s.median = s.n % 2 ? samples[mid] : (samples[mid - 1] + samples[mid]) / 2;
    s.p90 = percentile(samples, 0.90);
    s.p99 = percentile(samples, 0.99);
    s.mean = std::accumulate(samples.begin(), samples.end(), 0.0) / static_cast<double>(s.n);
    return s;
}

}  // namespace zenith::bench
