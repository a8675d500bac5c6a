// The spec a{sv} of CreateMachine/CloneMachine as the daemon receives it:
// real sdbus::Variants of every type a client can send, under the contract's
// keys and random ones, through specFromVariants and parseSpec; an accepted
// spec must survive the registry's JSON round trip.
//
// Input layout (FuzzedDataProvider; spec_variants_seeds.py writes seeds in
// it): a key count, then per key a bool (known key: an index into
// specKeys(); else a string) and a value: a type tag and its payload.
// ZENITH_FUZZ_PRINT=1 prints what an input decodes to (for a saved crash).
#include <bit>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <map>
#include <string>
#include <vector>

#include <fuzzer/FuzzedDataProvider.h>
#include <sdbus-c++/Error.h>
#include <sdbus-c++/Types.h>

#include "core/spec.h"
#include "dbus/spec_variant.h"

namespace {

using VariantMap = std::map<std::string, sdbus::Variant>;
using Port = sdbus::Struct<std::string, uint16_t, uint16_t>;

// The order is the input format: append, never reorder (seeds depend on it).
enum Tag : uint8_t { B, Q, U, T, I, X, D, S, AS, PORTS, DICT, Y, O, AI, EMPTY, kTagCount };
constexpr uint8_t kLastScalar = S;
constexpr int kMaxDepth = 2;
constexpr uint8_t kMaxKeys = 40;       // more than the contract has
constexpr uint8_t kMaxEntries = 120;   // past parseSpec's limit of 100 list entries

std::vector<std::string> strings(FuzzedDataProvider& in)
{
    std::vector<std::string> out(in.ConsumeIntegralInRange<uint8_t>(0, kMaxEntries));
    for (auto& s : out)
        s = in.ConsumeRandomLengthString();
    return out;
}

// Throws sdbus::Error for what a D-Bus message cannot hold (a string that is
// not UTF-8, a malformed object path): such input never reaches the daemon.
sdbus::Variant makeVariant(FuzzedDataProvider& in, int depth)
{
    // An empty Variant exists only in C++ (the bus always carries a value),
    // and sdbus cannot nest one; it is tried at the top level only.
    uint8_t last = depth == 0 ? kTagCount - 1 : depth < kMaxDepth ? EMPTY - 1 : kLastScalar;
    switch (in.ConsumeIntegralInRange<uint8_t>(0, last)) {
    case B: return sdbus::Variant(in.ConsumeBool());
    case Q: return sdbus::Variant(in.ConsumeIntegral<uint16_t>());
    case U: return sdbus::Variant(in.ConsumeIntegral<uint32_t>());
    case T: return sdbus::Variant(in.ConsumeIntegral<uint64_t>());
    case I: return sdbus::Variant(in.ConsumeIntegral<int32_t>());
    case X: return sdbus::Variant(in.ConsumeIntegral<int64_t>());
    case D: return sdbus::Variant(std::bit_cast<double>(in.ConsumeIntegral<uint64_t>()));  // NaN, inf too
    case S: return sdbus::Variant(in.ConsumeRandomLengthString());
    case AS: return sdbus::Variant(strings(in));
    case PORTS: {
        std::vector<Port> ports(in.ConsumeIntegralInRange<uint8_t>(0, kMaxEntries));
        for (auto& p : ports) {
            std::get<0>(p) = in.ConsumeRandomLengthString();
            std::get<1>(p) = in.ConsumeIntegral<uint16_t>();
            std::get<2>(p) = in.ConsumeIntegral<uint16_t>();
        }
        return sdbus::Variant(ports);
    }
    case DICT: {
        VariantMap dict;
        for (uint8_t n = in.ConsumeIntegralInRange<uint8_t>(0, kMaxEntries); n > 0; --n) {
            std::string key = in.ConsumeRandomLengthString();
            dict.insert_or_assign(std::move(key), makeVariant(in, depth + 1));
        }
        return sdbus::Variant(dict);
    }
    case Y: return sdbus::Variant(in.ConsumeIntegral<uint8_t>());
    case O: return sdbus::Variant(sdbus::ObjectPath(in.ConsumeRandomLengthString()));
    case AI: {
        std::vector<int32_t> v(in.ConsumeIntegralInRange<uint8_t>(0, kMaxEntries));
        for (auto& i : v)
            i = in.ConsumeIntegral<int32_t>();
        return sdbus::Variant(v);
    }
    default: return sdbus::Variant();
    }
}

VariantMap makeSpec(FuzzedDataProvider& in)
{
    static const std::vector<std::string_view> keys = zenith::core::specKeys();
    VariantMap spec;
    for (uint8_t n = in.ConsumeIntegralInRange<uint8_t>(0, kMaxKeys); n > 0; --n) {
        std::string key = in.ConsumeBool() ? std::string(keys[in.ConsumeIntegralInRange<size_t>(0, keys.size() - 1)])
                                           : in.ConsumeRandomLengthString();
        spec.insert_or_assign(std::move(key), makeVariant(in, 0));
    }
    return spec;
}

void print(const VariantMap& spec)
{
    for (const auto& [key, v] : spec)
        std::fprintf(stderr, "spec[\"%s\"]: %s\n", key.c_str(), v.isEmpty() ? "(empty)" : v.peekValueType().c_str());
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size)
{
    using zenith::core::ErrorCode;
    static const bool verbose = std::getenv("ZENITH_FUZZ_PRINT") != nullptr;
    FuzzedDataProvider in(data, size);
    VariantMap raw;
    try {
        raw = makeSpec(in);
    } catch (const sdbus::Error& e) {
        if (verbose)
            std::fprintf(stderr, "not a D-Bus message: %s\n", e.what());
        return -1;  // keep it out of the corpus
    }
    if (verbose)
        print(raw);

    // spec_variant.h: a signature it cannot carry is InvalidArgs; spec.h:
    // so are an unknown key, a wrong type and an out-of-range value.
    auto refused = [&](const char* step, const zenith::core::Error& e) {
        bool wrongCode = e.code != ErrorCode::InvalidArgs;
        if (verbose || wrongCode)
            std::fprintf(stderr, "%s: %s\n", step, e.message.c_str());
        if (wrongCode)
            std::abort();
        return 0;
    };
    auto values = zenith::dbus::specFromVariants(raw, "spec");
    if (!values)
        return refused("specFromVariants", values.error());
    auto spec = zenith::core::parseSpec(*values, zenith::core::Limits{});
    if (!spec)
        return refused("parseSpec", spec.error());
    // The registry stores an accepted spec as specToJson and reads it back
    // with specFromJson at every start: it must parse, and say the same.
    std::string json = zenith::core::specToJson(*spec);
    if (verbose)
        std::fprintf(stderr, "accepted: %s\n", json.c_str());
    auto back = zenith::core::specFromJson(json);
    if (!back) {
        std::fprintf(stderr, "specFromJson refused specToJson's %s: %s\n", json.c_str(), back.error().message.c_str());
        std::abort();
    }
    if (zenith::core::specToJson(*back) != json) {
        std::fprintf(stderr, "JSON round trip changed %s into %s\n", json.c_str(),
                     zenith::core::specToJson(*back).c_str());
        std::abort();
    }
    return 0;
}
