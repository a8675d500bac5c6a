#include "drivers/nspawn/host_link.h"

#include <future>
#include <thread>

#include <fmt/format.h>

#include "net/host_links.h"

namespace zenith::drivers::nspawn {

using core::ErrorCode;
using namespace std::chrono_literals;

std::string hostLinkName(uint32_t number)
{
    return number ? fmt::format("vi{}", number) : std::string();
}

core::Result<void> bootWithHostLink(MachineRunner& runner, const RunTarget& t, std::stop_token cancel,
                                    std::chrono::seconds timeout)
{
    if (t.hostLink.empty() || t.bridge.empty())
        return runner.start(t, cancel, timeout);
    if (net::linkExists(t.hostLink))
        return core::fail(ErrorCode::BackendFailed,
                          fmt::format("cannot start {}: a link named {} exists already on the host, and it is not "
                                      "this machine's",
                                      t.name, t.hostLink));
    std::promise<core::Result<void>> attached;
    auto attachResult = attached.get_future();
    // Polled: the link lives only from nspawn's start to the machine's end,
    // and a 5 ms wait is far below what a boot takes.
    std::jthread attacher([&](std::stop_token stop) {
        while (!stop.stop_requested()) {
            if (net::linkExists(t.hostLink)) {
                attached.set_value(net::attachToBridge(t.hostLink, t.bridge));
                return;
            }
            std::this_thread::sleep_for(5ms);
        }
        attached.set_value(core::fail(ErrorCode::Cancelled, "the boot ended before its link appeared"));
    });
    auto started = runner.start(t, cancel, timeout);
    if (!started)
        return started;  // the attacher is stopped and joined on the way out
    // The link came before the container's init ran, so it is attached by
    // now; the wait only covers a very slow kernel.
    if (attachResult.wait_for(10s) != std::future_status::ready)
        attacher.request_stop();
    auto result = attachResult.get();
    if (!result) {
        (void)runner.kill(t);
        const std::string why = result.error().code == ErrorCode::Cancelled
                                    ? fmt::format("systemd-nspawn made no link {}", t.hostLink)
                                    : result.error().message;
        return core::fail(ErrorCode::BackendFailed, fmt::format("{} was killed again: {}", t.name, why));
    }
    return {};
}

}  // namespace zenith::drivers::nspawn
