// The address pools as the bus shows them: ListPools, ListLeases,
// NextFreeAddress(6). Leasing itself happens in jobs (core/ops/address_request).
#include <fmt/format.h>

#include "core/engine_impl.h"
#include "core/inet.h"
#include "core/text_quote.h"

namespace zenith::core {

Result<void> Engine::Impl::findPool(const std::string& name) const
{
    if (config_.pools.contains(name))
        return {};
    std::string known;
    for (const auto& [n, p] : config_.pools)
        known += (known.empty() ? "" : ", ") + n;
    return fail(ErrorCode::InvalidArgs, fmt::format("no address pool {} (configured: {})", quoteForMessage(name),
                                                    known.empty() ? std::string("none") : known));
}

Result<std::vector<PoolUsage>> Engine::pools() const
{
    std::vector<PoolUsage> out;
    for (const auto& [name, config] : impl_->config_.pools) {
        if (const Ipv4Pool* p = impl_->pool(name)) {
            auto leases = impl_->leases.leases(name);
            if (!leases)
                return std::unexpected(leases.error());
            PoolUsage u;
            u.name = name;
            u.subnet = fmt::format("{}/{}", formatIpv4(p->network), p->prefixLength);
            u.gateway = p->gateway ? formatIpv4(p->gateway) : std::string();
            u.range = fmt::format("{}-{}", formatIpv4(p->first), formatIpv4(p->last));
            u.dns = p->dns;
            u.size = p->last - p->first + 1;
            u.leased = static_cast<uint32_t>(leases->size());
            out.push_back(std::move(u));
        }
        if (const Ipv6Pool* p = impl_->pool6(name)) {
            auto leases = impl_->leases.leases6(name);
            if (!leases)
                return std::unexpected(leases.error());
            PoolUsage u;
            u.name = name;
            u.subnet = fmt::format("{}/{}", formatIpv6(p->network), p->prefixLength);
            u.gateway = p->gateway ? formatIpv6(p->gateway) : std::string();
            u.range = fmt::format("{}-{}", formatIpv6(p->first), formatIpv6(p->last));
            u.dns = p->dns;
            u.size = static_cast<uint32_t>(p->rangeSize(UINT32_MAX));
            u.leased = static_cast<uint32_t>(leases->size());
            out.push_back(std::move(u));
        }
    }
    return out;
}

Result<std::vector<LeaseInfo>> Engine::poolLeases(const std::string& pool) const
{
    if (auto r = impl_->findPool(pool); !r)
        return std::unexpected(r.error());
    std::vector<LeaseInfo> out;
    if (impl_->pool(pool)) {
        auto held = impl_->leases.leases(pool);
        if (!held)
            return std::unexpected(held.error());
        for (const auto& [address, machine] : *held)
            out.push_back({formatIpv4(address), machine});
    }
    if (impl_->pool6(pool)) {
        auto held = impl_->leases.leases6(pool);
        if (!held)
            return std::unexpected(held.error());
        for (const auto& [address, machine] : *held)
            out.push_back({formatIpv6(address), machine});
    }
    return out;
}

Result<std::string> Engine::nextFreeAddress(const std::string& pool) const
{
    if (auto r = impl_->findPool(pool); !r)
        return std::unexpected(r.error());
    const Ipv4Pool* p = impl_->pool(pool);
    if (!p)
        return nextFreeAddress6(pool);
    auto held = impl_->leases.leases(pool);
    if (!held)
        return std::unexpected(held.error());
    auto next = nextFreeIpv4(*p, *held);
    if (!next)
        return std::unexpected(next.error());
    return fmt::format("{}/{}", formatIpv4(*next), p->prefixLength);
}

Result<std::string> Engine::nextFreeAddress6(const std::string& pool) const
{
    if (auto r = impl_->findPool(pool); !r)
        return std::unexpected(r.error());
    const Ipv6Pool* p = impl_->pool6(pool);
    if (!p)
        return fail(ErrorCode::InvalidArgs, fmt::format("address pool {} has no IPv6 subnet", pool));
    auto held = impl_->leases.leases6(pool);
    if (!held)
        return std::unexpected(held.error());
    auto next = nextFreeIpv6(*p, *held);
    if (!next)
        return std::unexpected(next.error());
    return fmt::format("{}/{}", formatIpv6(*next), p->prefixLength);
}

}  // namespace zenith::core
