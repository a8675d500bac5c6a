// Manager methods of the address pools (an extension of the contract):
// ListPools, ListLeases, NextFreeAddress(6). Reads: the `read` action.
#include "dbus/manager_object.h"

#include "core/log.h"
#include "core/text_quote.h"
#include "dbus/pending_reply.h"

namespace zenith::dbus {

namespace {
// A pool name is a config section's name; what a caller sends is cut and
// escaped before it is logged.
constexpr size_t kShownBytes = 80;
}  // namespace

void ManagerObject::ListPools(sdbus::Result<std::vector<PoolRow>>&& result)
{
    auto reply = makeReply(std::move(result), "ListPools");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListPools from {}", caller->sender);
    gate_.authorizeRead(*caller, "list-pools", "", "", [this, reply](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        auto pools = engine_.pools();
        if (!pools)
            return reply->fail(pools.error());
        std::vector<PoolRow> out;
        for (const auto& p : *pools)
            out.emplace_back(p.name, p.subnet, p.gateway, p.range, p.dns, p.size, p.leased);
        reply->ok(out);
    });
}

void ManagerObject::ListLeases(sdbus::Result<std::vector<sdbus::Struct<std::string, std::string>>>&& result,
                               std::string pool)
{
    auto reply = makeReply(std::move(result), "ListLeases");
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "ListLeases pool={} from {}", core::toSingleLine(pool, kShownBytes),
               caller->sender);
    gate_.authorizeRead(*caller, "list-leases", "", "", [this, reply, pool](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        auto leases = engine_.poolLeases(pool);
        if (!leases)
            return reply->fail(leases.error());
        std::vector<sdbus::Struct<std::string, std::string>> out;
        for (const auto& l : *leases)
            out.emplace_back(l.address, l.machine);
        reply->ok(out);
    });
}

void ManagerObject::NextFreeAddress(sdbus::Result<std::string>&& result, std::string pool)
{
    nextFreeAddressOf(std::move(result), std::move(pool), "NextFreeAddress", &core::Engine::nextFreeAddress);
}

void ManagerObject::NextFreeAddress6(sdbus::Result<std::string>&& result, std::string pool)
{
    nextFreeAddressOf(std::move(result), std::move(pool), "NextFreeAddress6", &core::Engine::nextFreeAddress6);
}

void ManagerObject::nextFreeAddressOf(sdbus::Result<std::string>&& result, std::string pool, const char* method,
                                      core::Result<std::string> (core::Engine::*next)(const std::string&) const)
{
    auto reply = makeReply(std::move(result), method);
    auto caller = currentCaller(getObject());
    if (!caller)
        return reply->fail(caller.error());
    log::debug({.uid = caller->uid}, "{} pool={} from {}", method, core::toSingleLine(pool, kShownBytes),
               caller->sender);
    gate_.authorizeRead(*caller, "next-address", "", "", [this, reply, pool, next](core::Result<void> allowed) {
        if (!allowed)
            return reply->fail(allowed.error());
        auto address = (engine_.*next)(pool);
        if (!address)
            return reply->fail(address.error());
        reply->ok(*address);
    });
}

}  // namespace zenith::dbus
