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

}  // namespace

Result<AddressRequest> addressRequestOf(const MachineSpec& spec, const drivers::Driver& driver,
                                        const OperationEnv& env)
{
    AddressRequest req;
    const auto octet = spec.backend.number("last_octet");
    const bool wantsAuto = spec.ipv4 && *spec.ipv4 == "auto";
    if (octet && spec.ipv4)
        return invalid("last_octet: give either ipv4 or last_octet, not both");
    if (!octet && !spec.ipv4)
        return req;

    std::string poolName = spec.pool.value_or(driver.addressPool());
    if (spec.pool && !env.pool(*spec.pool))
        return invalid(fmt::format("pool: no address pool {} (configured: {})", quoteForMessage(*spec.pool),
                                   configuredPools(env)));
    req.pool = poolName.empty() ? nullptr : env.pool(poolName);
    if ((wantsAuto || octet) && !req.pool)
        return invalid(fmt::format("{}: {} needs an address pool: give spec key pool (configured: {}){}",
                                   octet ? "last_octet" : "ipv4", octet ? "a last octet" : "\"auto\"",
                                   configuredPools(env),
                                   poolName.empty() ? std::string()
                                                    : fmt::format("; the backend's pool '{}' is missing", poolName)));
    if (wantsAuto) {
        req.kind = AddressRequest::Kind::Auto;
        return req;
    }
    if (octet) {
        req.kind = AddressRequest::Kind::LastOctet;
        req.lastOctet = *octet;
        return req;
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
