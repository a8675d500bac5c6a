#include "drivers/nspawn/uid_range.h"
#include "drivers/nspawn/host_file.h"

#include <charconv>
#include <filesystem>
#include <sstream>

#include <fmt/format.h>

namespace zenith::drivers::nspawn {

namespace {

std::optional<uint32_t> number(std::string_view s)
{
    uint32_t v = 0;
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
    if (ec != std::errc() || end != s.data() + s.size() || s.empty())
        return std::nullopt;
    return v;
}

}  // namespace

std::optional<uint32_t> privateUsersBase(std::string_view settings)
{
    std::istringstream in{std::string(settings)};
    for (std::string line; std::getline(in, line);) {
        if (!line.starts_with("PrivateUsers="))
            continue;
        std::string_view value = std::string_view(line).substr(13);
        return number(value.substr(0, value.find(':')));
    }
    return std::nullopt;
}

std::vector<IdRange> hostIdRanges(const std::string& etc)
{
    std::vector<IdRange> out;
    // subuid/subgid: NAME:FIRST:COUNT
    for (const char* file : {"subuid", "subgid"}) {
        std::istringstream in(readHostFile(std::filesystem::path(etc) / file));
        for (std::string line; std::getline(in, line);) {
            auto a = line.find(':'), b = line.rfind(':');
            if (a == std::string::npos || a == b)
                continue;
            auto first = number(std::string_view(line).substr(a + 1, b - a - 1));
            auto count = number(std::string_view(line).substr(b + 1));
            if (first && count)
                out.push_back({*first, *count});
        }
    }
    // passwd/group: NAME:x:ID:...
    for (const char* file : {"passwd", "group"}) {
        std::istringstream in(readHostFile(std::filesystem::path(etc) / file));
        for (std::string line; std::getline(in, line);) {
            auto a = line.find(':');
            auto b = a == std::string::npos ? a : line.find(':', a + 1);
            auto c = b == std::string::npos ? b : line.find(':', b + 1);
            if (c == std::string::npos)
                continue;
            if (auto id = number(std::string_view(line).substr(b + 1, c - b - 1)); id && *id >= kFirstUidBase)
                out.push_back({*id, 1});
        }
    }
    return out;
}

std::optional<uint32_t> pickUidBase(const std::set<uint32_t>& taken, const std::vector<IdRange>& host)
{
    for (uint32_t base = kFirstUidBase; base <= kLastUidBase; base += kUidRangeSize) {
        if (taken.contains(base))
            continue;
        bool clash = false;
        for (const auto& r : host)
            clash = clash || r.overlaps(base, kUidRangeSize);
        if (!clash)
            return base;
    }
    return std::nullopt;
}

UidRangeAllocator::UidRangeAllocator(std::string settingsDir, std::string etc)
    : settingsDir_(std::move(settingsDir)), etc_(std::move(etc))
{
}

std::set<uint32_t> UidRangeAllocator::inUse() const
{
    std::set<uint32_t> used = reserved_;
    std::error_code ec;
    for (std::filesystem::directory_iterator it(settingsDir_, ec), end; !ec && it != end; it.increment(ec))
        if (it->path().extension() == ".nspawn" && it->is_regular_file(ec))
            if (auto base = privateUsersBase(readHostFile(it->path())))
                used.insert(*base);
    return used;
}

core::Result<uint32_t> UidRangeAllocator::reserve()
{
    std::lock_guard lock(mu_);
    auto base = pickUidBase(inUse(), hostIdRanges(etc_));
    if (!base)
        return core::fail(core::ErrorCode::LimitsExceeded,
                          fmt::format("no free range of {} user ids left for a new machine's user namespace",
                                      kUidRangeSize));
    reserved_.insert(*base);
    return *base;
}

void UidRangeAllocator::release(uint32_t base)
{
    std::lock_guard lock(mu_);
    reserved_.erase(base);
}

}  // namespace zenith::drivers::nspawn
