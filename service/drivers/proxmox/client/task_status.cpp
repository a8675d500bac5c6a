#include "drivers/proxmox/client/task_status.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>
#include <nlohmann/json.hpp>

#include "core/text_quote.h"

namespace zenith::drivers::proxmox {

namespace {

constexpr size_t kMaxExitStatusBytes = 512;
constexpr std::string_view kWarnings = "WARNINGS: ";

bool isDigit(char c) { return c >= '0' && c <= '9'; }

}  // namespace

core::Result<TaskStatus> parseTaskStatus(const nlohmann::json& data)
{
    auto bad = [&](std::string_view why) {
        return core::fail(core::ErrorCode::BackendFailed,
                          fmt::format("the server sent a task status that makes no sense ({}): {}", why,
                                      core::toSingleLine(data.dump(), 200)));
    };
    if (!data.is_object())
        return bad("not an object");
    auto status = data.find("status");
    if (status == data.end() || !status->is_string())
        return bad("no status");
    TaskStatus t;
    const auto& s = status->get_ref<const std::string&>();
    if (s == "running")
        return t;
    if (s != "stopped")
        return bad("status is neither running nor stopped");
    t.running = false;
    auto exit = data.find("exitstatus");
    // A task killed hard can be stopped without an exit status.
    std::string raw = exit != data.end() && exit->is_string() ? exit->get<std::string>() : "unknown (none given)";
    t.exitStatus = core::toSingleLine(raw, kMaxExitStatusBytes);
    if (raw == "OK") {
        t.succeeded = true;
    } else if (raw.starts_with(kWarnings)) {
        std::string_view n(raw);
        n.remove_prefix(kWarnings.size());
        unsigned count = 0;
        auto [end, ec] = std::from_chars(n.data(), n.data() + n.size(), count);
        t.succeeded = ec == std::errc() && end == n.data() + n.size();
        t.warnings = t.succeeded ? count : 0;
    }
    return t;
}

std::chrono::milliseconds taskPollDelay(unsigned poll)
{
    using namespace std::chrono_literals;
    if (poll >= 5)
        return 1000ms;
    return std::min<std::chrono::milliseconds>(50ms * (1u << poll), 1000ms);
}

std::optional<double> taskLogProgress(std::string_view line)
{
    std::optional<double> last;
    for (size_t pct = line.find('%'); pct != std::string_view::npos; pct = line.find('%', pct + 1)) {
        size_t start = pct;
        while (start > 0 && (isDigit(line[start - 1]) || line[start - 1] == '.'))
            --start;
        std::string_view number = line.substr(start, pct - start);
        if (number.empty() || !isDigit(number.front()))
            continue;
        double value = 0;
        auto [end, ec] = std::from_chars(number.data(), number.data() + number.size(), value);
        if (ec != std::errc() || end != number.data() + number.size() || value > 100)
            continue;
        last = value / 100.0;
    }
    return last;
}

}  // namespace zenith::drivers::proxmox
