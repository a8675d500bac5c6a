#include "core/resource_lock.h"

#include <fmt/format.h>

namespace zenith::core {

ResourceLock machineLock(const std::string& name, LockMode mode)
{
    return {"machine:" + name, mode, fmt::format("machine '{}'", name)};
}

std::optional<LockTable::Conflict> LockTable::conflict(const std::vector<ResourceLock>& locks) const
{
    for (const auto& l : locks) {
        if (l.mode == LockMode::Serial)
            continue;
        auto it = resources_.find(l.resource);
        if (it == resources_.end())
            continue;
        const Holders& h = it->second;
        if (h.exclusive)
            return Conflict{l.what, *h.exclusive};
        if (l.mode == LockMode::Exclusive && !h.shared.empty())
            return Conflict{l.what, *h.shared.begin()};
    }
    return std::nullopt;
}

void LockTable::hold(uint32_t job, const std::vector<ResourceLock>& locks)
{
    for (const auto& l : locks) {
        if (l.mode == LockMode::Serial)
            continue;
        Holders& h = resources_[l.resource];
        h.what = l.what;
        if (l.mode == LockMode::Exclusive)
            h.exclusive = job;
        else
            h.shared.insert(job);
        byJob_[job].push_back(l);
    }
}

bool LockTable::serialFree(const std::vector<ResourceLock>& locks) const
{
    for (const auto& l : locks) {
        if (l.mode != LockMode::Serial)
            continue;
        auto it = resources_.find(l.resource);
        if (it != resources_.end() && it->second.serial)
            return false;
    }
    return true;
}

void LockTable::holdSerial(uint32_t job, const std::vector<ResourceLock>& locks)
{
    for (const auto& l : locks) {
        if (l.mode != LockMode::Serial)
            continue;
        Holders& h = resources_[l.resource];
        h.what = l.what;
        h.serial = job;
        byJob_[job].push_back(l);
    }
}

void LockTable::release(uint32_t job)
{
    auto it = byJob_.find(job);
    if (it == byJob_.end())
        return;
    dropHeld(job, it->second);
    byJob_.erase(it);
}

void LockTable::releaseResource(uint32_t job, const std::string& resource)
{
    auto it = byJob_.find(job);
    if (it == byJob_.end())
        return;
    std::vector<ResourceLock> mine, rest;
    for (auto& l : it->second)
        (l.resource == resource ? mine : rest).push_back(std::move(l));
    dropHeld(job, mine);
    if (rest.empty())
        byJob_.erase(it);
    else
        it->second = std::move(rest);
}

void LockTable::dropHeld(uint32_t job, const std::vector<ResourceLock>& held)
{
    for (const auto& l : held) {
        auto r = resources_.find(l.resource);
        if (r == resources_.end())
            continue;
        Holders& h = r->second;
        switch (l.mode) {
        case LockMode::Exclusive:
            if (h.exclusive == job)
                h.exclusive.reset();
            break;
        case LockMode::Shared:
            if (auto s = h.shared.find(job); s != h.shared.end())
                h.shared.erase(s);
            break;
        case LockMode::Serial:
            if (h.serial == job)
                h.serial.reset();
            break;
        }
        if (h.empty())
            resources_.erase(r);
    }
}

bool LockTable::held(const std::string& resource) const
{
    return resources_.contains(resource);
}

}  // namespace zenith::core
