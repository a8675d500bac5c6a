#include "core/ops/address_request.h"

#include <fmt/format.h>

#include "core/inet.h"
#include "core/text_quote.h"

namespace zenith::core::ops {

namespace {

std::unexpected<Error> invalid(std::string message) { return fail(ErrorCode::InvalidArgs, std::move(message)); }

std::string configuredPools(const OperationEnv& env)
{
    std::string out;
    for (const auto& [name, pool] : env.config().pools)
        out += (out.empty() ? "" : ", ") + name;
    return out.empty() ? std::string("none") : out;
}

bool poolConfigured(const OperationEnv& env, const std::string& name)
{
    return env.config().pools.contains(name);
}

std::string missingPool(const OperationEnv& env, const std::string& poolName)
{
    if (poolName.empty())
        return {};
    if (!poolConfigured(env, poolName))
        return fmt::format("; the backend's pool '{}' is missing", poolName);
    return fmt::format("; pool '{}' has none", poolName);
}

Result<void> ipv4Request(AddressRequest& req, const MachineSpec& spec, const std::string& poolName,
                         const OperationEnv& env)
{
    const auto octet = spec.backend.number("last_octet");
    const bool wantsAuto = spec.ipv4 && *spec.ipv4 == "auto";
    if (octet && spec.ipv4)
        return invalid("last_octet: give either ipv4 or last_octet, not both");
    if (!octet && !spec.ipv4)
        return {};

    req.pool = poolName.empty() ? nullptr : env.pool(poolName);
    if ((wantsAuto || octet) && !req.pool)
        return invalid(fmt::format("{}: {} needs an address pool with an IPv4 subnet: give spec key pool "
                                   "(configured: {}){}",
                                   octet ? "last_octet" : "ipv4", octet ? "a last octet" : "\"auto\"",
                                   configuredPools(env), missingPool(env, poolName)));
    if (wantsAuto) {
        req.kind = AddressRequest::Kind::Auto;
        return {};
    }
    if (octet) {
        req.kind = AddressRequest::Kind::LastOctet;
        req.lastOctet = *octet;
        return {};
    }
    auto prefix = parseIpv4Prefix(*spec.ipv4);
    const bool bare = !prefix && parseIpv4(*spec.ipv4);
    if (bare)
        prefix = Ipv4Prefix{*parseIpv4(*spec.ipv4), 0};
    if (!prefix)
        return invalid(fmt::format("ipv4: {} is not a.b.c.d/len", quoteForMessage(*spec.ipv4)));
    req.kind = AddressRequest::Kind::Explicit;
    req.address = prefix->address;
    if (req.pool && !req.pool->contains(prefix->address)) {
        if (spec.pool)
            return invalid(fmt::format("ipv4: {} is not in pool '{}'", formatIpv4(prefix->address), *spec.pool));
        req.pool = nullptr;
    }
    // An address inside any pool is that pool's to hand out (pools never
    // overlap); outside every pool it is the caller's own, not leased.
    for (auto it = env.config().pools.begin(); !req.pool && it != env.config().pools.end(); ++it)
        if (const Ipv4Pool* p = env.pool(it->first); p && p->contains(prefix->address))
            req.pool = p;
    if (bare && !req.pool)
        return invalid(fmt::format("ipv4: {} has no prefix length and no address pool holds it: give a.b.c.d/len",
                                   *spec.ipv4));
    if (req.pool && !bare && prefix->length != req.pool->prefixLength)
        return invalid(fmt::format("ipv4: {} has prefix length /{}, pool '{}' is a /{}", *spec.ipv4, prefix->length,
                                   req.pool->name, req.pool->prefixLength));
    return {};
}

Result<void> ipv6Request(AddressRequest& req, const MachineSpec& spec, const std::string& poolName,
                         const OperationEnv& env)
{
    if (!spec.ipv6)
        return {};
    const std::string& text = *spec.ipv6;
    if (text == "auto") {
        // The tunnel modes take their address from the tunnel or the
        // WireGuard config, not from a pool.
        if (spec.ipv6Mode && (*spec.ipv6Mode == "6in4" || *spec.ipv6Mode == "wireguard"))
            return invalid(fmt::format("ipv6: \"auto\" is an address of a pool, not of ipv6_mode {}",
                                       quoteForMessage(*spec.ipv6Mode)));
        req.pool6 = poolName.empty() ? nullptr : env.pool6(poolName);
        if (!req.pool6)
            return invalid(fmt::format("ipv6: \"auto\" needs an address pool with an IPv6 subnet: give spec key "
                                       "pool (configured: {}){}",
                                       configuredPools(env), missingPool(env, poolName)));
        req.kind6 = AddressRequest::Kind::Auto;
        return {};
    }
    const auto slash = text.find('/');
    const bool bare = slash == std::string::npos;
    auto address = parseIpv6(bare ? std::string_view(text) : std::string_view(text).substr(0, slash));
    if (!address)
        return invalid(fmt::format("ipv6: {} is not an IPv6 address", quoteForMessage(text)));
    std::optional<unsigned> length;
    if (!bare)
        length = parseIpv6Prefix(text)->length;
    req.kind6 = AddressRequest::Kind::Explicit;
    req.address6 = *address;
    req.pool6 = poolName.empty() ? nullptr : env.pool6(poolName);
    if (req.pool6 && !req.pool6->contains(*address)) {
        if (spec.pool)
            return invalid(fmt::format("ipv6: {} is not in pool '{}'", formatIpv6(*address), *spec.pool));
        req.pool6 = nullptr;
    }
    // As for IPv4: an address inside any pool is that pool's (pools never
    // overlap); outside every pool it is the caller's own, not leased.
    if (!req.pool6)
        req.pool6 = poolHolding(env, *address);
    // Unlike IPv4, a bare address outside every pool stays the caller's own
    // as it always was (the machine's network config takes it as given).
    if (!req.pool6)
        req.kind6 = AddressRequest::Kind::None;
    if (req.pool6 && length && *length != req.pool6->prefixLength)
        return invalid(fmt::format("ipv6: {} has prefix length /{}, pool '{}' is a /{}", text, *length,
                                   req.pool6->name, req.pool6->prefixLength));
    return {};
}

}  // namespace

const Ipv6Pool* poolHolding(const OperationEnv& env, Ipv6Address address)
{
    for (const auto& [name, config] : env.config().pools)
        if (const Ipv6Pool* p = env.pool6(name); p && p->contains(address))
            return p;
    return nullptr;
}

Result<AddressRequest> addressRequestOf(const MachineSpec& spec, const drivers::Driver& driver,
                                        const OperationEnv& env)
{
    AddressRequest req;
    const bool asks = spec.ipv4 || spec.ipv6 || spec.backend.number("last_octet");
    if (!asks)
        return req;
    std::string poolName = spec.pool.value_or(driver.addressPool());
    if (spec.pool && !poolConfigured(env, *spec.pool))
        return invalid(fmt::format("pool: no address pool {} (configured: {})", quoteForMessage(*spec.pool),
                                   configuredPools(env)));
    if (auto r = ipv4Request(req, spec, poolName, env); !r)
        return std::unexpected(r.error());
    if (auto r = ipv6Request(req, spec, poolName, env); !r)
        return std::unexpected(r.error());
    return req;
}

Result<std::optional<uint32_t>> previewAddress(const AddressRequest& req, const OperationEnv& env,
                                               const std::string& machine)
{
    if (req.kind == AddressRequest::Kind::None || !req.pool)
        return std::optional<uint32_t>();
    auto leases = env.poolLeases(req.pool->name);
    if (!leases)
        return std::unexpected(leases.error());
    Result<uint32_t> a = req.kind == AddressRequest::Kind::Auto ? nextFreeIpv4(*req.pool, *leases)
                         : req.kind == AddressRequest::Kind::LastOctet
                             ? ipv4FromLastOctet(*req.pool, req.lastOctet, *leases, machine)
                             : checkRequestedIpv4(*req.pool, req.address, *leases, machine);
    if (!a)
        return std::unexpected(a.error());
    return std::optional<uint32_t>(*a);
}

Result<std::optional<Ipv6Address>> previewAddress6(const AddressRequest& req, const OperationEnv& env,
                                                   const std::string& machine)
{
    if (req.kind6 == AddressRequest::Kind::None || !req.pool6)
        return std::optional<Ipv6Address>();
    auto leases = env.pool6Leases(req.pool6->name);
    if (!leases)
        return std::unexpected(leases.error());
    Result<Ipv6Address> a = req.kind6 == AddressRequest::Kind::Auto
                                ? nextFreeIpv6(*req.pool6, *leases)
                                : checkRequestedIpv6(*req.pool6, req.address6, *leases, machine);
    if (!a)
        return std::unexpected(a.error());
    return std::optional<Ipv6Address>(*a);
}

void applyLeasedAddress6(MachineSpec& spec, const AddressRequest& req, Ipv6Address address)
{
    spec.ipv6 = fmt::format("{}/{}", formatIpv6(address), req.pool6->prefixLength);
    if (!spec.gateway6 && req.pool6->gateway)
        spec.gateway6 = formatIpv6(req.pool6->gateway);
    if (!spec.dns && !req.pool6->dns.empty())
        spec.dns = req.pool6->dns;
    // A spec names one pool: the IPv4 address's when both came from pools
    // (one pool, or two when the caller chose an address of another).
    if (!spec.pool)
        spec.pool = req.pool6->name;
}

void applyLeasedAddress(MachineSpec& spec, const AddressRequest& req, uint32_t address)
{
    spec.ipv4 = fmt::format("{}/{}", formatIpv4(address), req.pool->prefixLength);
    if (!spec.gateway && req.pool->gateway)
        spec.gateway = formatIpv4(req.pool->gateway);
    if (!spec.dns && !req.pool->dns.empty())
        spec.dns = req.pool->dns;
    spec.pool = req.pool->name;
    spec.backend.values.erase("last_octet");
}

}  // namespace zenith::core::ops
