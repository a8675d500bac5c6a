// apt's sources as the nspawn driver reads them to find a Debian mirror:
// the same bytes as a one-line sources.list and as a deb822 .sources file,
// then the mirror choice over each.
#include <algorithm>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>
#include <vector>

#include "core/url.h"
#include "drivers/nspawn/apt_mirror.h"

namespace {

using zenith::drivers::nspawn::AptSource;

// apt_mirror.h: the choice is a `deb` URI from the sources and no security
// archive; README: a URI with credentials is never used.
void checkChoice(const std::vector<AptSource>& sources)
{
    auto mirror = zenith::drivers::nspawn::chooseDebianMirror(sources);
    if (!mirror)
        return;
    bool fromDeb = std::any_of(sources.begin(), sources.end(), [&](const AptSource& s) {
        return std::find(s.types.begin(), s.types.end(), "deb") != s.types.end() &&
               std::find(s.uris.begin(), s.uris.end(), *mirror) != s.uris.end();
    });
    if (!fromDeb || mirror->find("debian-security") != std::string::npos ||
        zenith::core::urlHasCredentials(*mirror)) {
        std::fprintf(stderr, "chooseDebianMirror chose %s\n", mirror->c_str());
        std::abort();
    }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto oneLine = zenith::drivers::nspawn::parseOneLineSources(text);
    auto deb822 = zenith::drivers::nspawn::parseDeb822Sources(text);
    checkChoice(oneLine);
    checkChoice(deb822);
    return 0;
}
