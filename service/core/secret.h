// A string that must never reach logs, job messages, audit entries, child
// argv or world-readable files. It has no formatter and no implicit
// conversion; reveal() makes every use greppable. Memory is wiped on release.
#pragma once

#include <string>
#include <string.h>  // explicit_bzero

namespace zenith::core {

class Secret {
public:
    Secret() = default;
    explicit Secret(std::string value) : value_(std::move(value)) {}
    Secret(const Secret&) = default;
    Secret& operator=(const Secret&) = default;
    Secret(Secret&& other) noexcept : value_(std::move(other.value_)) { other.wipe(); }
    Secret& operator=(Secret&& other) noexcept
    {
        if (this != &other) {
            wipe();
            value_ = std::move(other.value_);
            other.wipe();
        }
        return *this;
    }
    ~Secret() { wipe(); }

    const std::string& reveal() const { return value_; }
    bool empty() const { return value_.empty(); }

private:
    void wipe() noexcept
    {
        if (!value_.empty())
            explicit_bzero(value_.data(), value_.size());
        value_.clear();
    }
    std::string value_;
};

}  // namespace zenith::core
