// The address pools as the bus shows them: ListPools, ListLeases,
// NextFreeAddress. Leasing itself happens in jobs (core/ops/address_request).
#include <fmt/format.h>

#include "core/engine_impl.h"
#include "core/inet.h"
#include "core/text_quote.h"

namespace zenith::core {

Result<const Ipv4Pool*> Engine::Impl::findPool(const std::string& name) const
{
    if (const Ipv4Pool* p = pool(name))
        return p;
    std::string known;
    for (const auto& [n, p] : ipv4Pools)
        known += (known.empty() ? "" : ", ") + n;
    return fail(ErrorCode::InvalidArgs, fmt::format("no address pool {} (configured: {})", quoteForMessage(name),
                                                    known.empty() ? std::string("none") : known));
}

Result<std::vector<PoolUsage>> Engine::pools() const
{
    std::vector<PoolUsage> out;
    for (const auto& [name, p] : impl_->ipv4Pools) {
        auto leases = impl_->leases.leases(name);
        if (!leases)
            return std::unexpected(leases.error());
        PoolUsage u;
        u.name = name;
        u.subnet = fmt::format("{}/{}", formatIpv4(p.network), p.prefixLength);
        u.gateway = p.gateway ? formatIpv4(p.gateway) : std::string();
        u.range = fmt::format("{}-{}", formatIpv4(p.first), formatIpv4(p.last));
        u.dns = p.dns;
        u.size = p.last - p.first + 1;
        u.leased = static_cast<uint32_t>(leases->size());
        out.push_back(std::move(u));
    }
    return out;
}

Result<Engine::Impl::PoolState> Engine::Impl::poolState(const std::string& name) const
{
    auto p = findPool(name);
    if (!p)
        return std::unexpected(p.error());
    auto held = leases.leases(name);
    if (!held)
        return std::unexpected(held.error());
    return PoolState{*p, std::move(*held)};
}

Result<std::vector<LeaseInfo>> Engine::poolLeases(const std::string& pool) const
{
    auto state = impl_->poolState(pool);
    if (!state)
        return std::unexpected(state.error());
    std::vector<LeaseInfo> out;
    for (const auto& [address, machine] : state->leases)
        out.push_back({formatIpv4(address), machine});
    return out;
}

Result<std::string> Engine::nextFreeAddress(const std::string& pool) const
{
    auto state = impl_->poolState(pool);
    if (!state)
        return std::unexpected(state.error());
    auto next = nextFreeIpv4(*state->pool, state->leases);
    if (!next)
        return std::unexpected(next.error());
    return fmt::format("{}/{}", formatIpv4(*next), state->pool->prefixLength);
}

}  // namespace zenith::core
