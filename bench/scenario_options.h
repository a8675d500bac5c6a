// What every scenario of the provisioning driver is told.
#pragma once

#include <unistd.h>

#include <chrono>
#include <string>
#include <thread>

namespace zenith::bench {

struct ScenarioOptions {
    std::string group = "btrfs";  // the label the results are filed under
    std::string out;              // results file (JSON lines)
    std::string log;              // peers' stdout/stderr ("" : /dev/null)
    int runs = 10;
    // A pause between iterations, the same for every side, so that one run's
    // background work (btrfs cleaner, a dying container's last exits) lands
    // in neither side's next sample by chance.
    std::chrono::milliseconds settle{300};
};

// Between two samples: write back what the last one dirtied (a 250 MB copy
// leaves a lot), so no sample pays for its predecessor's writeback, then
// pause.
inline void settle(const ScenarioOptions& o)
{
    ::sync();
    std::this_thread::sleep_for(o.settle);
}

}  // namespace zenith::bench
