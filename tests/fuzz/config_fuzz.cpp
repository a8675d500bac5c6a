// /etc/zenith/provisioner.conf as an admin (or a broken editor) could write
// it: any bytes through parseConfig.
#include <cstdint>
#include <cstdlib>
#include <string_view>

#include "core/config.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    std::string_view text(reinterpret_cast<const char*>(data), size);
    auto config = zenith::core::parseConfig(text, "fuzz.conf");
    // config.h: an error names the file (then line and key).
    if (!config && !config.error().message.starts_with("fuzz.conf:"))
        std::abort();
    return 0;
}
