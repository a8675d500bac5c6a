// Machine names and their object-path labels (core/names.h): any bytes as a
// name, and as a label arriving in an object path.
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "core/names.h"

namespace {

void fail(const char* what, std::string_view input)
{
    std::fprintf(stderr, "%s (input of %zu bytes)\n", what, input.size());
    std::abort();
}

bool isLabelChar(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_';
}

// names.h: ^[a-z][a-z0-9-]{0,62}$, checked here without sharing its code.
bool matchesNameRule(std::string_view s)
{
    if (s.empty() || s.size() > 63 || !(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (char c : s)
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-'))
            return false;
    return true;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using namespace zenith::core;
    std::string_view input(reinterpret_cast<const char*>(data), size);

    // names.h: escaping is systemd's bus_label_escape (only [A-Za-z0-9_], no
    // leading digit, "" -> "_") and busLabelUnescape is its inverse.
    std::string label = busLabelEscape(input);
    if (label.empty() || (label[0] >= '0' && label[0] <= '9'))
        fail("busLabelEscape made an empty label or one with a leading digit", input);
    for (char c : label)
        if (!isLabelChar(c))
            fail("busLabelEscape left a character outside [A-Za-z0-9_]", input);
    auto back = busLabelUnescape(label);
    if (!back || *back != input)
        fail("busLabelUnescape(busLabelEscape(x)) != x", input);

    // A label as it arrives in a path: unescaping must not crash, and what
    // it yields escapes to a label that unescapes to it again.
    if (auto name = busLabelUnescape(input)) {
        auto again = busLabelUnescape(busLabelEscape(*name));
        if (!again || *again != *name)
            fail("round trip of an unescaped label", input);
    }

    if (validateMachineName(input).has_value() != matchesNameRule(input))
        fail("validateMachineName disagrees with ^[a-z][a-z0-9-]{0,62}$", input);
    if (machineObjectPath(input) != std::string(kRootPath) + "/machine/" + label)
        fail("machineObjectPath is not <root>/machine/<label>", input);
    return 0;
}
