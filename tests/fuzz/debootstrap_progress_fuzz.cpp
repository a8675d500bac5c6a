// debootstrap's output (fd 3 with --debian-installer, or plain stderr) line
// by line through DebootstrapProgress, and its printf formats through
// renderDebootstrapFormat.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "drivers/nspawn/debootstrap_progress.h"

namespace {

void fail(const char* what, std::string_view line, double before, double after)
{
    std::fprintf(stderr, "%s: %.17g -> %.17g after a line of %zu bytes\n", what, before, after, line.size());
    std::abort();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using zenith::drivers::nspawn::DebootstrapProgress;
    using zenith::drivers::nspawn::renderDebootstrapFormat;
    std::string_view text(reinterpret_cast<const char*>(data), size);

    DebootstrapProgress progress;
    std::vector<std::string> recent;  // the last lines, as format arguments
    while (!text.empty()) {
        auto nl = text.find('\n');
        std::string_view line = text.substr(0, nl);
        text = nl == std::string_view::npos ? std::string_view() : text.substr(nl + 1);

        double before = progress.fraction();
        progress.feed(line);
        double after = progress.fraction();
        // debootstrap_progress.h: 0..1, never decreasing; 1 only when done.
        if (!(after >= 0.0 && after <= 1.0))
            fail("fraction left [0,1]", line, before, after);
        if (after < before)
            fail("fraction decreased", line, before, after);
        if (after == 1.0 && !progress.succeeded())
            fail("fraction 1 before debootstrap succeeded", line, before, after);

        renderDebootstrapFormat(line, recent);
        recent.emplace_back(line);
        if (recent.size() > 4)
            recent.erase(recent.begin());
    }
    return 0;
}
