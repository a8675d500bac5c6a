#include "net/nft_table.h"

#include <fcntl.h>
#include <nftables/libnftables.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <memory>

#include <fmt/format.h>

#include "drivers/unique_fd.h"

namespace zenith::net {

namespace {

struct ContextFree {
    void operator()(nft_ctx* c) const { nft_ctx_free(c); }
};
using Context = std::unique_ptr<nft_ctx, ContextFree>;

// A context whose output and errors are kept for us, not printed.
Context newContext()
{
    Context ctx(nft_ctx_new(NFT_CTX_DEFAULT));
    if (ctx) {
        nft_ctx_buffer_output(ctx.get());
        nft_ctx_buffer_error(ctx.get());
    }
    return ctx;
}

std::string oneLine(const char* text)
{
    std::string out = text ? text : "";
    while (!out.empty() && (out.back() == '\n' || out.back() == ' '))
        out.pop_back();
    for (auto& c : out)
        if (c == '\n')
            c = ' ';
    return out;
}

core::Result<void> enableIpv4Forwarding()
{
    drivers::UniqueFd fd(::open("/proc/sys/net/ipv4/ip_forward", O_RDWR | O_CLOEXEC));
    char now = 0;
    if (fd.get() >= 0 && ::read(fd.get(), &now, 1) == 1 && now == '1')
        return {};
    if (fd.get() < 0 || ::pwrite(fd.get(), "1\n", 2, 0) != 2)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("cannot switch on IPv4 forwarding (net.ipv4.ip_forward): {}", std::strerror(errno)));
    return {};
}

}  // namespace

core::Result<void> runNftScript(const std::string& script)
{
    auto ctx = newContext();
    if (!ctx)
        return core::fail(core::ErrorCode::BackendFailed, "nftables: cannot make a libnftables context");
    if (nft_run_cmd_from_buffer(ctx.get(), script.c_str()) != 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("nftables refused the change: {}", oneLine(nft_ctx_get_error_buffer(ctx.get()))));
    return {};
}

core::Result<std::string> listNatTable()
{
    auto ctx = newContext();
    if (!ctx)
        return core::fail(core::ErrorCode::BackendFailed, "nftables: cannot make a libnftables context");
    // Asked through `list tables` first: listing a missing table is an error
    // that cannot be told from others by its text alone.
    if (nft_run_cmd_from_buffer(ctx.get(), "list tables") != 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("nftables: {}", oneLine(nft_ctx_get_error_buffer(ctx.get()))));
    const std::string tables = nft_ctx_get_output_buffer(ctx.get());
    const std::string ours = fmt::format("table {} {}\n", core::kNatTableFamily, core::kNatTableName);
    if (tables.find(ours) == std::string::npos)
        return std::string();
    ctx = newContext();
    if (!ctx || nft_run_cmd_from_buffer(
                    ctx.get(), fmt::format("list table {} {}", core::kNatTableFamily, core::kNatTableName).c_str()) != 0)
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("nftables: {}", ctx ? oneLine(nft_ctx_get_error_buffer(ctx.get())) : ""));
    return std::string(nft_ctx_get_output_buffer(ctx.get()));
}

core::Result<void> applyNatRules(const core::NatRules& rules)
{
    if (rules.empty()) {
        // Nothing to remove: the host's ruleset is not touched at all.
        auto now = listNatTable();
        if (!now)
            return std::unexpected(now.error());
        if (now->empty())
            return {};
    } else if (auto r = enableIpv4Forwarding(); !r) {
        return r;
    }
    return runNftScript(core::renderNatScript(rules));
}

}  // namespace zenith::net
